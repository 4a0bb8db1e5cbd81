package org.alipaynotify.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The files themselves: found on the class path, in order, each recording itself; a wrong one is named. */
class MigrationsTest {
    static Map<String, String> real() throws Exception {
        return realFiles();
    }

    static Map<String, String> realFiles() throws IOException {
        Map<String, String> files = new HashMap<>();
        for (String f : new String[] {"V1__baseline.sql", "V2__utc_datetime.sql"}) {
            files.put(f, resource("/" + Migrations.DIRECTORY + "/" + f));
        }
        return files;
    }

    static String resource(String name) throws IOException {
        try (InputStream in = MigrationsTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static String upsert(int version, String description, String file) {
        return "INSERT INTO alipay_notify_schema_history (version, description, script, status, started_at,"
                + " finished_at, applied_by)\nVALUES (" + version + ", '" + description + "', '" + file
                + "', 'success', UTC_TIMESTAMP(3), UTC_TIMESTAMP(3), CURRENT_USER())\nON DUPLICATE KEY UPDATE"
                + " status = 'success', finished_at = UTC_TIMESTAMP(3);\n";
    }

    static CannotStart refused(Map<String, String> files) {
        return assertThrows(CannotStart.class, () -> Migrations.of(files, Duration.ZERO, "test"));
    }

    @Test
    void theClassPathHoldsTheVersionsInOrderAndV1CreatesTheHistoryFirst() {
        List<Migrations.Migration> all = Migrations.fromClassPath().all();
        assertEquals(List.of("V1__baseline.sql", "V2__utc_datetime.sql", "V3__refusals_and_unmatched.sql",
                "V4__order_mapping.sql"), all.stream().map(Migrations.Migration::file).limit(4).toList());
        for (int i = 0; i < all.size(); i++) {
            assertEquals(i + 1, all.get(i).version(), "versions 1, 2, 3 ... without a gap");
        }
        assertTrue(all.get(0).statements().get(0).startsWith("CREATE TABLE IF NOT EXISTS alipay_notify_schema_history"));
    }

    @Test
    void aNewVersionIsOneMoreFile() throws Exception {
        Map<String, String> files = new TreeMap<>(real());
        files.put("V3__notes.sql", "ALTER TABLE alipay_order ADD COLUMN note VARCHAR(10);\n"
                + upsert(3, "notes", "V3__notes.sql"));
        assertEquals(3, Migrations.of(files, Duration.ZERO, "test").all().size());
    }

    @Test
    void aFileThatDoesNotRecordItselfIsNamed() throws Exception {
        Map<String, String> files = new TreeMap<>(real());
        files.put("V3__notes.sql", "ALTER TABLE alipay_order ADD COLUMN note VARCHAR(10);\n"
                + upsert(2, "notes", "V3__notes.sql"));
        assertTrue(refused(files).getMessage().startsWith("db/migration/V3__notes.sql must end with the statement that"
                + " records it"), refused(files).getMessage());
    }

    @Test
    void aMisnamedFileAGapOrATwinIsNamed() throws Exception {
        Map<String, String> misnamed = new TreeMap<>(real());
        misnamed.put("V3_notes.sql", upsert(3, "notes", "V3_notes.sql"));
        assertTrue(refused(misnamed).getMessage().contains("V3_notes.sql is not named V<version>__<description>.sql"));

        Map<String, String> gap = new TreeMap<>(real());
        gap.put("V4__notes.sql", upsert(4, "notes", "V4__notes.sql"));
        assertTrue(refused(gap).getMessage().contains("no V3__*.sql before V4"), refused(gap).getMessage());

        Map<String, String> twin = new TreeMap<>(real());
        twin.put("V2__again.sql", upsert(2, "again", "V2__again.sql"));
        assertTrue(refused(twin).getMessage().contains("two files for version 2"), refused(twin).getMessage());
    }
}
