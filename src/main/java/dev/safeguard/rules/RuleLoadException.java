package dev.safeguard.rules;

/**
 * A rule or policy that cannot be used: names the file, the rule and, for CEL, the position, so the
 * author can fix it without guessing. Loading stops at the first such error; nothing half-loaded is used.
 */
public class RuleLoadException extends Exception {

    private final String source;
    private final String ruleId;

    public RuleLoadException(String source, String ruleId, String detail) {
        this(source, ruleId, detail, null);
    }

    public RuleLoadException(String source, String ruleId, String detail, Throwable cause) {
        super(format(source, ruleId, detail), cause);
        this.source = source;
        this.ruleId = ruleId;
    }

    private static String format(String source, String ruleId, String detail) {
        StringBuilder text = new StringBuilder(source);
        if (ruleId != null) {
            text.append(": rule '").append(ruleId).append('\'');
        }
        return text.append(": ").append(detail).toString();
    }

    /** The file (or resource) the bad rule came from. */
    public String source() {
        return source;
    }

    /** The rule id, or null when the file could not be read far enough to know it. */
    public String ruleId() {
        return ruleId;
    }
}
