package dev.safeguard.rules;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

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
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static Action parse(String value) {
        for (Action action : values()) {
            if (action.id().equals(value)) {
                return action;
            }
        }
        throw new IllegalArgumentException("unknown action '" + value + "', expected one of "
                + Arrays.stream(values()).map(Action::id).collect(Collectors.joining(", ")));
    }

    /** True when this action is at least as severe as {@code other}. */
    public boolean atLeast(Action other) {
        return ordinal() <= other.ordinal();
    }
}
