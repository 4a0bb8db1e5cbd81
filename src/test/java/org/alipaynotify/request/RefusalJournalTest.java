package org.alipaynotify.request;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.alipaynotify.Outcome;
import org.alipaynotify.testsupport.LogCapture;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.Test;

/**
 * The journal's budget and bookkeeping, with the database reduced to "accepts" or "fails" (its rows are checked
 * against the real database by NotifyEndpointIT, HostileCorpusIT and FloodIT).
 */
class RefusalJournalTest {
    private static DataSource accepting() throws SQLException {
        DataSource ds = mock(DataSource.class);
        Connection c = mock(Connection.class);
        when(ds.getConnection()).thenReturn(c);
        when(c.prepareStatement(anyString())).thenReturn(mock(PreparedStatement.class));
        return ds;
    }

    @Test
    void unverifiedRefusalsBeyondTheBudgetAreCountedAndSummarizedNotLoggedOneByOne() throws Exception {
        List<Boolean> kept = new ArrayList<>();
        RefusalJournal journal = new RefusalJournal(accepting(), 5, Clock.systemUTC());
        try (LogCapture log = new LogCapture(Level.WARN)) {
            for (int i = 0; i < 100; i++) {
                kept.add(journal.record("203.0.113.9", Outcome.BAD_SIGNATURE, "junk", new byte[64 * 1024], null,
                        false));
            }
            journal.close();
            long keptCount = kept.stream().filter(k -> k).count();
            assertTrue(keptCount >= 10 && keptCount <= 11, "a burst of two seconds' worth is kept: " + keptCount);
            assertEquals(100 - keptCount, journal.dropped(RefusalJournal.Dropped.RATE_LIMIT));
            assertEquals(keptCount, journal.written());
            Matcher m = Pattern.compile("Refused 100 unverified requests in the last \\d+ s \\(\\d+/s\\); (\\d+)"
                    + " refusal records and their log lines not written \\((\\d+) over").matcher(log.text());
            assertTrue(m.find(), log.text());
            assertEquals(100 - keptCount, Long.parseLong(m.group(1)));
            assertEquals(1, log.text().lines().filter(l -> l.contains("RefusalJournal")).count(),
                    "one summary line, not a line per request: " + log.text());
        }
    }

    @Test
    void signedRefusalsHaveABudgetOfTheirOwnThatJunkCannotExhaust() throws Exception {
        RefusalJournal journal = new RefusalJournal(accepting(), 1, Clock.systemUTC());
        for (int i = 0; i < 50; i++) {
            journal.record("203.0.113.9", Outcome.BAD_SIGNATURE, "junk", new byte[10], null, false);
        }
        assertTrue(journal.record("110.75.1.1", Outcome.APP_ID_MISMATCH, "another app", new byte[10], null, true));
        journal.close();
    }

    @Test
    void aBudgetOfZeroKeepsNoUnverifiedRecordButStillLogsDatabaseErrors() throws Exception {
        RefusalJournal journal = new RefusalJournal(accepting(), 0, Clock.systemUTC());
        assertFalse(journal.record("203.0.113.9", Outcome.MALFORMED_BODY, "junk", new byte[10], null, false));
        assertTrue(journal.record("203.0.113.9", Outcome.DATABASE_ERROR, "down", new byte[10], null, true),
                "a database error is never journaled, always logged");
        journal.close();
        assertEquals(0, journal.written());
    }

    @Test
    void aFailingDatabaseDropsAndCountsTheRecordsWithoutThrowing() throws Exception {
        DataSource down = mock(DataSource.class);
        when(down.getConnection()).thenThrow(new SQLException("Connection refused"));
        RefusalJournal journal = new RefusalJournal(down, 100, Clock.systemUTC());
        try (LogCapture log = new LogCapture(Level.WARN)) {
            for (int i = 0; i < 3; i++) {
                assertTrue(journal.record("203.0.113.9", Outcome.BAD_SIGNATURE, "x", new byte[10], null, false));
            }
            journal.close();
            assertEquals(3, journal.dropped(RefusalJournal.Dropped.DATABASE_ERROR));
            assertTrue(log.text().contains("3 database error"), log.text());
        }
    }

    @Test
    void theBudgetRefillsWithTime() {
        RateLimit limit = new RateLimit(10);
        long t = 0;
        int granted = 0;
        for (int i = 0; i < 100; i++) {
            granted += limit.tryAcquire(t) ? 1 : 0;
        }
        assertEquals(20, granted, "two seconds' worth at once");
        assertFalse(limit.tryAcquire(t + 50_000_000L), "half a permit after 50 ms");
        assertTrue(limit.tryAcquire(t + 100_000_000L), "one after 100 ms");
        int later = 0;
        for (int i = 0; i < 100; i++) {
            later += limit.tryAcquire(t + 10_100_000_000L) ? 1 : 0;
        }
        assertEquals(20, later, "never more saved than two seconds' worth");
    }
}
