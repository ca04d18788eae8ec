package dev.safeguard.rules;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** What a rule protects. Decides, among other things, whether controller-owned Pods are re-checked. */
public enum Category {
    RELIABILITY, SECURITY, EFFICIENCY, HYGIENE;

    @JsonValue
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static Category parse(String value) {
        for (Category category : values()) {
            if (category.id().equals(value)) {
                return category;
            }
        }
        throw new IllegalArgumentException("unknown category '" + value + "', expected one of "
                + Arrays.stream(values()).map(Category::id).collect(Collectors.joining(", ")));
    }
}
