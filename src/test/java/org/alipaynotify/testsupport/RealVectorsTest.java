package org.alipaynotify.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.TestAbortedException;

class RealVectorsTest {
    @TempDir
    Path dir;

    @Test
    void missingVectorsSkipTheTestAndSaySoOnceInALineOfItsOwn() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        AtomicBoolean said = new AtomicBoolean();
        Path missing = dir.resolve("nowhere");

        assertThrows(TestAbortedException.class, () -> RealVectors.dir(missing, RealVectors.KEY_MODE, said, out));
        assertThrows(TestAbortedException.class, () -> RealVectors.dir(missing, RealVectors.CERT_MODE, said, out));

        assertEquals("[alipay-notify tests] SKIPPED: the checks against notifications signed by Alipay itself: no test"
                + " vectors at " + missing + " (set ALIPAY_REAL_VECTORS; see README.md, \"Test it\")"
                + System.lineSeparator(), bytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void presentVectorsAreFoundSilently() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Files.createDirectories(dir.resolve(RealVectors.KEY_MODE));

        assertEquals(dir.resolve(RealVectors.KEY_MODE), RealVectors.dir(dir, RealVectors.KEY_MODE,
                new AtomicBoolean(), new PrintStream(bytes, true, StandardCharsets.UTF_8)));
        assertEquals("", bytes.toString(StandardCharsets.UTF_8));
    }
}
