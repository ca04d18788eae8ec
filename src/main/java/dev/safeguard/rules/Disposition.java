package dev.safeguard.rules;

/**
 * What happens to a rule's finding (a violation, or an error under its onError) once the policy's mode is applied:
 * the one place where an action and a mode become an effect. Everything that reports a finding (the admission
 * response, metrics, logs, every report format and the ValidatingAdmissionPolicy export) asks here.
 */
public enum Disposition {
    /** Rejected: a deny action in enforce mode. */
    DENY("deny", Action.DENY),
    /** Audit mode's dry run of a deny: allowed, returned as a warning. Counts at the warn level. */
    WOULD_DENY("would-deny", Action.WARN),
    /** Allowed, with a warning kubectl prints. */
    WARN("warn", Action.WARN),
    /** Allowed silently, recorded (audit annotation, log, metrics). */
    AUDIT("audit", Action.AUDIT);

    private final String id;
    private final Action level;

    Disposition(String id, Action level) {
        this.id = id;
        this.level = level;
    }

    /** The effect of {@code action} under {@code mode}; off rules are never evaluated, so have none. */
    public static Disposition of(Action action, Mode mode) {
        return switch (action) {
            case DENY -> mode == Mode.ENFORCE ? DENY : WOULD_DENY;
            case WARN -> WARN;
            case AUDIT -> AUDIT;
            case OFF -> throw new IllegalArgumentException("an off rule is not evaluated and has no disposition");
        };
    }

    /** deny, would-deny, warn, audit: as reports and the JSON contract spell it. */
    public String id() {
        return id;
    }

    /** The severity a threshold such as {@code --fail-on} compares: would-deny counts as a warning. */
    public Action level() {
        return level;
    }

    /** True when the user is shown it as a warning (warn, and audit mode's would-deny). */
    public boolean warns() {
        return this == WARN || this == WOULD_DENY;
    }
}
