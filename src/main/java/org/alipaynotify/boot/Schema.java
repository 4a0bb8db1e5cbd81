package org.alipaynotify.boot;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code db/schema.sql}, the one definition of our tables. Every statement is CREATE TABLE IF NOT EXISTS, so applying
 * it twice is harmless; the file has no USE and no CREATE DATABASE, so it applies to the connection's database.
 */
public final class Schema {
    public static final String RESOURCE = "/db/schema.sql";

    private Schema() {
    }

    /** Applies every statement on this connection and commits. */
    public static void apply(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            for (String sql : statements()) {
                st.execute(sql);
            }
        }
        if (!c.getAutoCommit()) {
            c.commit();
        }
    }

    /** The statements of the file, comment lines removed. */
    public static List<String> statements() {
        String text;
        try (InputStream in = Schema.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the class path");
            }
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + RESOURCE, e);
        }
        StringBuilder withoutComments = new StringBuilder();
        for (String line : text.split("\n")) {
            if (!line.stripLeading().startsWith("--")) {
                withoutComments.append(line).append('\n');
            }
        }
        List<String> statements = new ArrayList<>();
        for (String part : withoutComments.toString().split(";")) {
            if (!part.isBlank()) {
                statements.add(part.strip());
            }
        }
        return statements;
    }
}
