package org.alipaynotify.config;

/** A setting that is missing or wrong. The message names the key, its environment variable and the problem. */
public final class SettingsException extends RuntimeException {
    private final String key;

    public SettingsException(String key, String problem) {
        this(key, problem, null);
    }

    public SettingsException(String key, String problem, Throwable cause) {
        super(describe(key) + " " + problem, cause);
        this.key = key;
    }

    public String key() {
        return key;
    }

    static String describe(String key) {
        return key + " (" + Settings.envName(key) + ")";
    }
}
