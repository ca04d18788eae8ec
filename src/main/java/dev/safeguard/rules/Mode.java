package dev.safeguard.rules;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** Whether a policy's deny actions reject ({@code enforce}) or only report what would be rejected ({@code audit}). */
public enum Mode {
    ENFORCE, AUDIT;

    @JsonValue
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static Mode parse(String value) {
        for (Mode mode : values()) {
            if (mode.id().equals(value)) {
                return mode;
            }
        }
        throw new IllegalArgumentException("unknown mode '" + value + "', expected enforce or audit");
    }
}
