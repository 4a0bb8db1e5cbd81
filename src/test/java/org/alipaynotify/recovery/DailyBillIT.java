package org.alipaynotify.recovery;

import static org.alipaynotify.recovery.RecoveryFixture.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.Charset;
import java.time.Clock;
import java.time.LocalDate;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.alipaynotify.config.AppSettings;
import org.alipaynotify.ledger.OrderMapping;
import org.alipaynotify.testsupport.FakeAlipayGateway.Script;
import org.alipaynotify.testsupport.FakeAlipayGateway;
import org.alipaynotify.testsupport.Notifications;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The daily bill against the real database: a bill zip built here in Alipay's layout (GBK CSV, the detail between its
 * markers), served by the stand-in gateway, with one planted difference of each kind.
 */
class DailyBillIT {
    static final Charset GBK = Charset.forName("GBK");
    /** A day no other test pays anything on, so "paid here, not in the bill" sees only this test's orders. */
    static final LocalDate DAY = LocalDate.of(2026, 10, 1);

    @BeforeAll
    static void open() throws Exception {
        RecoveryFixture.open();
    }

    /** A paid order as the ledger leaves one, paid at noon (China time) of {@link #DAY}. */
    static String paidHere(String amount, String tradeNo) throws Exception {
        String id = Notifications.uniqueId("bill-");
        db.execute("INSERT INTO alipay_order (out_trade_no, total_amount, trade_status, paid, trade_no,"
                + " gmt_payment) VALUES (?, ?, 'TRADE_SUCCESS', 1, ?, ?)", id, amount, tradeNo, DAY + " 12:00:00");
        return id;
    }

    static String csvRow(String tradeNo, String order, String type, String amount, String refundNo) {
        // Alipay pads cells with spaces and tabs
        return tradeNo + "\t," + order + "\t," + type + "      ,商品,2026-10-01 11:59:00,2026-10-01 12:00:00,,,,,"
                + "buyer@example.com," + amount + "," + amount + ",0.00,0.00,0.00,0.00,0.00,,0.00,0.00," + refundNo
                + ",0.00,0.00,\n";
    }

    static byte[] zip(List<String> rows) throws Exception {
        StringBuilder csv = new StringBuilder("#支付宝业务明细查询\n#账号：[20881234567890120156]\n"
                + "#起始日期：[2026年10月01日 00:00:00]   终止日期：[2026年10月02日 00:00:00]\n"
                + "#-----------------------------------------业务明细列表----------------------------------------\n"
                + "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,"
                + "订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,"
                + "券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注\n");
        rows.forEach(csv::append);
        csv.append("#-----------------------------------------业务明细列表结束------------------------------------\n"
                + "#交易合计：" + rows.size() + "笔\n#导出时间：[2026年10月02日 09:00:00]\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out, GBK)) {
            z.putNextEntry(new ZipEntry("20881234567890120156_20261001_业务明细(汇总).csv"));
            z.write("#汇总\n".getBytes(GBK));
            z.putNextEntry(new ZipEntry("20881234567890120156_20261001_业务明细.csv"));
            z.write(csv.toString().getBytes(GBK));
        }
        return out.toByteArray();
    }

    @Test
    void aPlantedDifferenceOfEachKindIsFoundRecordedAndThePaymentWeMissedIsAppliedThroughTheQuery()
            throws Exception {
        AppSettings s = appSettings(false);
        try (FakeAlipayGateway fake = fake(s)) {
            String same = paidHere("10.00", "T-same");
            String amount = paidHere("20.00", "T-amount");
            String refund = paidHere("30.00", "T-refund");
            String notInBill = paidHere("40.00", "T-gone");
            String missed = waitingOrder("50.00");
            String unknown = Notifications.uniqueId("bill-unknown-");
            fake.script(missed, Script.PAID, "50.00");
            List<String> rows = new ArrayList<>();
            rows.add(csvRow("T-same", same, "交易", "10.00", ""));
            rows.add(csvRow("T-amount", amount, "交易", "25.00", ""));
            rows.add(csvRow("T-refund", refund, "交易", "30.00", ""));
            rows.add(csvRow("T-refund", refund, "退款", "-5.00", "refund-1"));
            rows.add(csvRow(FakeAlipayGateway.tradeNo(missed), missed, "交易", "50.00", ""));
            rows.add(csvRow("T-unknown", unknown, "交易", "60.00", ""));
            fake.bill(zip(rows));

            Gateway gateway = gateway(fake, s, 2_000);
            ActiveQuery query = query(gateway, "bill-q");
            DailyBill bill = new DailyBill(pool, List.of(gateway),
                    OrderMapping.ownTable().factsTable(), query, LocalTime.of(10, 0), 2_000, Clock.systemUTC());
            assertEquals(5, bill.run(DAY));
            assertEquals(0, bill.run(DAY), "a day is compared once");

            Map<String, String> kinds = new java.util.HashMap<>();
            try (var c = db.connect(); var ps = c.prepareStatement(
                    "SELECT out_trade_no, kind FROM alipay_notify_bill_diff WHERE bill_date = ?")) {
                ps.setString(1, DAY.toString());
                try (var rs = ps.executeQuery()) {
                    while (rs.next()) {
                        kinds.put(rs.getString(1), rs.getString(2));
                    }
                }
            }
            assertEquals(Map.of(amount, "AMOUNT_DIFFERS", refund, "REFUND_NOT_HERE", notInBill, "NOT_IN_BILL",
                    missed, "PAID_NOT_HERE", unknown, "PAID_NOT_HERE"), kinds);
            assertEquals(2, bill.found(DailyBill.Kind.PAID_NOT_HERE));
            assertEquals("compared", db.scalar("SELECT status FROM alipay_notify_bill_run WHERE"
                    + " bill_date = ?", DAY.toString()));
            assertEquals(6L, ((Number) db.scalar("SELECT trade_rows + refund_rows FROM"
                    + " alipay_notify_bill_run WHERE bill_date = ?", DAY.toString())).longValue());

            // the bill is not signed: what it shows we missed is applied only by the signed answer of the query
            assertEquals("WAIT_BUYER_PAY", status(missed));
            query.runOnce();
            assertEquals("TRADE_SUCCESS", status(missed));
            assertTrue(fake.calls().stream().anyMatch(c -> c.method().equals(DailyBill.METHOD)
                    && c.params().get("biz_content").contains("\"bill_date\":\"2026-10-01\"")));
        }
    }

    @Test
    void aBillNotToBeHadComparesNothingAndALaterRunTakesTheDayOverWhole() throws Exception {
        LocalDate day = LocalDate.of(2026, 9, 15); // no other test pays on it
        AppSettings s = appSettings(false);
        try (FakeAlipayGateway fake = fake(s)) {
            String id = Notifications.uniqueId("bill-late-");
            db.execute("INSERT INTO alipay_order (out_trade_no, total_amount, trade_status, paid, trade_no,"
                    + " gmt_payment) VALUES (?, '10.00', 'TRADE_SUCCESS', 1, 'T-late', ?)", id, day + " 12:00:00");
            DailyBill bill = new DailyBill(pool, List.of(gateway(fake, s, 2_000)),
                    OrderMapping.ownTable().factsTable(), null, LocalTime.of(10, 0), 2_000, Clock.systemUTC());

            // not published yet (the stand-in answers 404): no difference is made up from a missing bill
            assertEquals(-1, bill.run(day));
            assertEquals(1, bill.failedRuns());
            assertEquals("failed", db.scalar("SELECT status FROM alipay_notify_bill_run WHERE bill_date = ?",
                    day.toString()));
            assertTrue(((String) db.scalar("SELECT error FROM alipay_notify_bill_run WHERE bill_date = ?",
                    day.toString())).contains("404"));
            assertEquals(0L, ((Number) db.scalar("SELECT COUNT(*) FROM alipay_notify_bill_diff WHERE bill_date = ?",
                    day.toString())).longValue());

            // published: the next try takes the failed day over and compares it
            fake.bill(zip(List.of(csvRow("T-late", id, "交易", "10.00", ""))));
            assertEquals(0, bill.run(day));
            assertEquals("compared", db.scalar("SELECT status FROM alipay_notify_bill_run WHERE bill_date = ?",
                    day.toString()));
            assertEquals(null, db.scalar("SELECT error FROM alipay_notify_bill_run WHERE bill_date = ?",
                    day.toString()));
            assertEquals(0, bill.run(day), "a compared day is not compared again");
            assertEquals(1, bill.failedRuns());

            // a day another instance is comparing is left alone; one it left running an hour ago is taken over,
            // and what it had recorded is found again, not twice
            LocalDate busy = day.plusDays(1);
            LocalDate abandoned = day.plusDays(2);
            db.execute("INSERT INTO alipay_notify_bill_run (app_id, bill_date, status, started_at) VALUES"
                    + " (?, ?, 'running', UTC_TIMESTAMP(3) - INTERVAL 5 MINUTE)", APP_ID, busy.toString());
            db.execute("INSERT INTO alipay_notify_bill_run (app_id, bill_date, status, started_at) VALUES"
                    + " (?, ?, 'running', UTC_TIMESTAMP(3) - INTERVAL 2 HOUR)", APP_ID, abandoned.toString());
            db.execute("INSERT INTO alipay_notify_bill_diff (app_id, bill_date, kind, out_trade_no) VALUES"
                    + " (?, ?, 'PAID_NOT_HERE', 'half-recorded')", APP_ID, abandoned.toString());
            assertEquals(0, bill.run(busy));
            assertEquals("running", db.scalar("SELECT status FROM alipay_notify_bill_run WHERE bill_date = ?",
                    busy.toString()));
            // the stand-in serves the same bill for every day; its one payment is ours, so: no difference
            assertEquals(0, bill.run(abandoned));
            assertEquals("compared", db.scalar("SELECT status FROM alipay_notify_bill_run WHERE bill_date = ?",
                    abandoned.toString()));
            assertEquals(0L, ((Number) db.scalar("SELECT COUNT(*) FROM alipay_notify_bill_diff WHERE bill_date = ?",
                    abandoned.toString())).longValue(), "the half-recorded difference is still there");
        }
    }

    @Test
    void theDetailIsReadFromAlipaysLayoutAndAGarbledBillFailsTheRunVisibly() throws Exception {
        List<BillFile.Row> rows = BillFile.parse(zip(List.of(csvRow("T1", "o-1", "交易", "1.00", ""),
                csvRow("T1", "o-1", "退款", "-0.50", "r-1"))));
        assertEquals(2, rows.size());
        assertEquals("o-1", rows.get(0).outTradeNo());
        assertTrue(rows.get(1).refund());
        assertEquals(new java.math.BigDecimal("0.50"), rows.get(1).amount());
        assertEquals("r-1", rows.get(1).refundRequestNo());
        assertTrue(org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                () -> BillFile.parse("not a zip".getBytes(GBK))).getMessage().contains("no detail file"));
    }
}
