package dev.safeguard.rules;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** What happens when a rule is violated, from most to least severe. */
public enum Action {
    /** Reject the request. */
    DENY,
    /** Allow, and return an admission warning that kubectl prints. */
    WARN,
    /** Allow silently; record the violation (audit annotation, log, metrics). */
    AUDIT,
    /** The rule is not evaluated. */
    OFF;

    @JsonValue
    public String id() {
        return LowerCaseIds.of(this);
    }

    @JsonCreator
    public static Action parse(String value) {
        return LowerCaseIds.parse(Action.class, "action", value);
    }

    /** True when this action is at least as severe as {@code other}. */
    public boolean atLeast(Action other) {
        return ordinal() <= other.ordinal();
    }
}
