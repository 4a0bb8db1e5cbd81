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

    /** A message said as it is; {@code unused} only tells this constructor from the public ones. */
    private SettingsException(String key, String message, boolean unused) {
        super(message);
        this.key = key;
    }

    /**
     * Names that are no setting at all (typos among the system properties or environment variables): the message is
     * said as it is, since such a name has no environment twin to add.
     */
    public static SettingsException unknown(java.util.List<Settings.Unknown> unknown) {
        StringBuilder b = new StringBuilder("unknown settings are refused in the local run (a deployed webapp only"
                + " warns): ");
        for (int i = 0; i < unknown.size(); i++) {
            b.append(i == 0 ? "" : "; ").append(unknown.get(i).describe());
        }
        return new SettingsException(unknown.get(0).name(), b.toString(), true);
    }

    public String key() {
        return key;
    }

    static String describe(String key) {
        return key + " (" + Settings.envName(key) + ")";
    }
}
