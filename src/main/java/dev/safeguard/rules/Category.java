package dev.safeguard.rules;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** What a rule protects. Decides, among other things, whether controller-owned Pods are re-checked. */
public enum Category {
    RELIABILITY, SECURITY, EFFICIENCY, HYGIENE;

    @JsonValue
    public String id() {
        return LowerCaseIds.of(this);
    }

    @JsonCreator
    public static Category parse(String value) {
        return LowerCaseIds.parse(Category.class, "category", value);
    }
}
