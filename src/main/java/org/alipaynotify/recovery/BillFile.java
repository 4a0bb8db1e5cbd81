package org.alipaynotify.recovery;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.Charset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Alipay's trade bill: a zip of GBK CSV files, of which the detail file ({@code ..._业务明细.csv}, not the
 * {@code 汇总} summary) lists each trade and refund between the lines {@code #---...业务明细列表---...} and
 * {@code #---...业务明细列表结束---...}, under a header row; cells are padded with spaces and tabs.
 */
final class BillFile {
    static final Charset GBK = Charset.forName("GBK");
    private static final int MAX_ENTRY = 64 << 20;

    /** One row of the detail: a payment ({@code 交易}) or a refund ({@code 退款}), amounts in yuan. */
    record Row(String tradeNo, String outTradeNo, boolean refund, BigDecimal amount, String refundRequestNo) {
    }

    private BillFile() {
    }

    static List<Row> parse(byte[] zip) throws IOException {
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip), GBK)) {
            ZipEntry e;
            while ((e = in.getNextEntry()) != null) {
                String name = e.getName();
                if (name.contains("业务明细") && !name.contains("汇总")) {
                    byte[] csv = in.readNBytes(MAX_ENTRY + 1);
                    if (csv.length > MAX_ENTRY) {
                        throw new IOException("the bill's detail file is larger than " + MAX_ENTRY + " bytes");
                    }
                    return rows(new String(csv, GBK));
                }
            }
        }
        throw new IOException("the bill zip holds no detail file (业务明细)");
    }

    static List<Row> rows(String csv) throws IOException {
        List<Row> rows = new ArrayList<>();
        Map<String, Integer> header = null;
        boolean inDetail = false;
        for (String line : csv.split("\r?\n")) {
            if (line.startsWith("#")) {
                if (line.contains("业务明细列表结束")) {
                    break;
                }
                inDetail = inDetail || line.contains("业务明细列表");
                continue;
            }
            if (!inDetail || line.isBlank()) {
                continue;
            }
            List<String> cells = cells(line);
            if (header == null) {
                header = new HashMap<>();
                for (int i = 0; i < cells.size(); i++) {
                    header.put(cells.get(i), i);
                }
                for (String needed : List.of("支付宝交易号", "商户订单号", "业务类型", "订单金额（元）")) {
                    if (!header.containsKey(needed)) {
                        throw new IOException("the bill's detail has no column " + needed + ": " + header.keySet());
                    }
                }
                continue;
            }
            String type = cell(cells, header, "业务类型");
            if (!type.equals("交易") && !type.equals("退款")) {
                continue;
            }
            String amount = cell(cells, header, "订单金额（元）");
            try {
                rows.add(new Row(cell(cells, header, "支付宝交易号"), cell(cells, header, "商户订单号"),
                        type.equals("退款"), new BigDecimal(amount).abs(),
                        header.containsKey("退款批次号/请求号") ? cell(cells, header, "退款批次号/请求号") : ""));
            } catch (NumberFormatException ex) {
                throw new IOException("the bill's amount '" + amount + "' is not a number");
            }
        }
        if (header == null) {
            throw new IOException("the bill's detail file has no 业务明细列表 section");
        }
        return rows;
    }

    private static String cell(List<String> cells, Map<String, Integer> header, String name) {
        int i = header.get(name);
        return i < cells.size() ? cells.get(i) : "";
    }

    /** Commas separate; quotes may wrap a cell; every cell stripped of the spaces and tabs Alipay pads with. */
    private static List<String> cells(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder b = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            } else if (c == ',' && !quoted) {
                out.add(b.toString().strip());
                b.setLength(0);
            } else {
                b.append(c);
            }
        }
        out.add(b.toString().strip());
        return out;
    }
}
