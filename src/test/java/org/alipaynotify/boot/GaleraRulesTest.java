package org.alipaynotify.boot;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.RETURNS_DEEP_STUBS;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import com.mysql.cj.conf.PropertyKey;
import com.mysql.cj.jdbc.JdbcConnection;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What a MariaDB Galera cluster (or MySQL Group Replication) needs of the code, checked without a cluster;
 * deploy/test-galera.sh checks the rest on three real nodes (SCALING.md, "Galera").
 */
class GaleraRulesTest {
    /** Certification finds conflicts by primary key: every table needs one, and InnoDB (the only engine replicated). */
    @Test
    void everyTableOfEveryMigrationHasAPrimaryKeyAndIsInnoDb() {
        int tables = 0;
        for (Migrations.Migration m : Migrations.fromClassPath().all()) {
            for (String statement : m.statements()) {
                String upper = statement.toUpperCase(Locale.ROOT);
                if (upper.startsWith("CREATE TABLE")) {
                    tables++;
                    assertTrue(upper.contains("PRIMARY KEY"), m.file() + ": no primary key: " + statement);
                    assertTrue(upper.contains("ENGINE=INNODB"), m.file() + ": a table not InnoDB: " + statement);
                    assertFalse(upper.contains(" AS SELECT") || upper.startsWith("CREATE TEMPORARY"),
                            m.file() + ": CREATE ... SELECT, temporary tables: not replicated safely: " + statement);
                }
            }
        }
        assertTrue(tables >= 7, "expected the seven tables, found " + tables);
    }

    /** Galera refuses GET_LOCK (ER_NOT_SUPPORTED_YET) and LOCK TABLES holds on one node only. */
    @Test
    void nothingTakesNamedLocksOrTableLocks() throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(Path.of("src/main"))) {
            for (Path f : files.filter(Files::isRegularFile).filter(p -> p.toString().matches(".*\\.(java|sql|xml)"))
                    .toList()) {
                String text = Files.readString(f, StandardCharsets.UTF_8).toUpperCase(Locale.ROOT);
                for (String banned : List.of("GET_LOCK(", "RELEASE_LOCK(", "IS_FREE_LOCK(", "LOCK TABLES",
                        "LOCK TABLE ", "FLUSH TABLES WITH READ LOCK")) {
                    if (text.contains(banned)) {
                        found.add(f + ": " + banned);
                    }
                }
            }
        }
        assertEquals(List.of(), found);
    }

    @Test
    void onGaleraThePoolUsesClientSidePreparedStatementsAndOtherwiseTheSameSettings() {
        Map<String, String> expected = new HashMap<>(Database.DRIVER_PROPERTIES);
        expected.put("useServerPrepStmts", "false");
        assertEquals(expected, Database.GALERA_DRIVER_PROPERTIES);
        assertEquals("true", Database.DRIVER_PROPERTIES.get("useServerPrepStmts"), "a single server keeps the gain");
    }

    @Test
    void aGaleraNodeWithServerSidePreparedStatementsIsRefusedAtStartUp() throws SQLException {
        CannotStart refused = assertThrows(CannotStart.class,
                () -> Database.requireSafeStatementsOnGalera(connection(1, true)));
        assertTrue(refused.getMessage().contains("useServerPrepStmts=false"), refused.getMessage());
        assertDoesNotThrow(() -> Database.requireSafeStatementsOnGalera(connection(1, false)));
        assertDoesNotThrow(() -> Database.requireSafeStatementsOnGalera(connection(0, true)), "wsrep_on=OFF");
        assertDoesNotThrow(() -> Database.requireSafeStatementsOnGalera(connection(-1, true)), "MySQL: no wsrep_on");
    }

    @Test
    void theSampleNodeConfigurationHoldsWhatTheCodeReliesOn() throws IOException {
        String cnf = Files.readString(Path.of("deploy/galera/galera.cnf"), StandardCharsets.UTF_8);
        for (String line : List.of("binlog_format=ROW", "innodb_autoinc_lock_mode=2", "wsrep_sync_wait=0",
                "wsrep_retry_autocommit=1", "wsrep_certify_nonPK=ON", "innodb_flush_log_at_trx_commit=1")) {
            assertTrue(cnf.lines().anyMatch(l -> l.strip().equals(line)), "deploy/galera/galera.cnf lacks " + line);
        }
    }

    /** @param wsrepOn 1 or 0, or -1 for a server without the variable (error 1193) */
    private static Connection connection(int wsrepOn, boolean serverSide) throws SQLException {
        JdbcConnection c = mock(JdbcConnection.class, RETURNS_DEEP_STUBS);
        Statement st = mock(Statement.class);
        when(c.createStatement()).thenReturn(st);
        if (wsrepOn < 0) {
            when(st.executeQuery("SELECT @@wsrep_on"))
                    .thenThrow(new SQLException("Unknown system variable 'wsrep_on'", "HY000", 1193));
        } else {
            ResultSet rs = mock(ResultSet.class);
            when(rs.next()).thenReturn(true);
            when(rs.getInt(1)).thenReturn(wsrepOn);
            when(st.executeQuery("SELECT @@wsrep_on")).thenReturn(rs);
        }
        when(c.unwrap(JdbcConnection.class)).thenReturn(c);
        when(c.getPropertySet().getBooleanProperty(PropertyKey.useServerPrepStmts).getValue()).thenReturn(serverSide);
        return c;
    }
}
