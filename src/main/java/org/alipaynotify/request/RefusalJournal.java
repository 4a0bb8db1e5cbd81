package org.alipaynotify.request;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.alipaynotify.Outcome;
import org.alipaynotify.Text;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Keeps every refused request in {@code alipay_notify_refused}: time, remote address, outcome, reason and the body
 * (never more than the size limit, which is all we ever read). Best effort and outside the ledger's transaction:
 * failing to keep the record never changes the answer, and the log line is written regardless.
 */
public final class RefusalJournal {
    private static final Logger LOG = LogManager.getLogger(RefusalJournal.class);
    private static final String INSERT = "INSERT INTO alipay_notify_refused (remote_addr, http_status, outcome,"
            + " reason, body) VALUES (?, ?, ?, ?, ?)";

    private final DataSource dataSource;

    public RefusalJournal(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    void record(String remoteAddr, Outcome outcome, String reason, byte[] body) {
        if (outcome == Outcome.DATABASE_ERROR) {
            return; // the database is the trouble: the log line is the record
        }
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(INSERT)) {
            ps.setString(1, remoteAddr);
            ps.setInt(2, outcome.httpStatus());
            ps.setString(3, outcome.name());
            ps.setString(4, Text.printable(reason, 250));
            ps.setBytes(5, body);
            ps.executeUpdate();
            if (!c.getAutoCommit()) {
                c.commit();
            }
        } catch (SQLException e) {
            LOG.warn("Could not record the refused request ({} {}) in alipay_notify_refused: {}", outcome,
                    reason, e.toString());
        }
    }
}
