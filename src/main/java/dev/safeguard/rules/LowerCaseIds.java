package dev.safeguard.rules;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The lower-case ids the rule and policy files use for enum values (deny, audit, reliability, ...). */
final class LowerCaseIds {

    private LowerCaseIds() {
    }

    static String of(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }

    /** The constant whose id is {@code value}; otherwise an error listing the ids a file may use. */
    static <E extends Enum<E>> E parse(Class<E> type, String what, String value) {
        for (E constant : type.getEnumConstants()) {
            if (of(constant).equals(value)) {
                return constant;
            }
        }
        throw new IllegalArgumentException("unknown " + what + " '" + value + "', expected one of "
                + Arrays.stream(type.getEnumConstants()).map(LowerCaseIds::of).collect(Collectors.joining(", ")));
    }
}
