package dev.safeguard.rules;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** Whether a policy's deny actions reject ({@code enforce}) or only report what would be rejected ({@code audit}). */
public enum Mode {
    ENFORCE, AUDIT;

    @JsonValue
    public String id() {
        return LowerCaseIds.of(this);
    }

    @JsonCreator
    public static Mode parse(String value) {
        return LowerCaseIds.parse(Mode.class, "mode", value);
    }
}
