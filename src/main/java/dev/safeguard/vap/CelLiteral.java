package dev.safeguard.vap;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a rule's params (the tree {@code ObjectTree} builds: maps, lists, strings, longs, doubles, booleans)
 * as a CEL literal for a ValidatingAdmissionPolicy variable. The Kubernetes CEL environment requires literal
 * lists and maps to be homogeneous, so a list or map whose values differ in type has each value wrapped in
 * {@code dyn()}, which is what the engine's dynamic params are.
 */
final class CelLiteral {

    private CelLiteral() {
    }

    static String of(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof String text) {
            return string(text);
        }
        if (value instanceof Boolean || value instanceof Long || value instanceof Integer) {
            return value.toString();
        }
        if (value instanceof Double number) {
            if (number.isNaN() || number.isInfinite()) {
                return "double('" + number + "')";
            }
            String text = number.toString();
            return text.contains(".") || text.contains("E") ? text : text + ".0";
        }
        if (value instanceof Map<?, ?> map) {
            boolean wrap = mixed(map.values());
            List<String> entries = new ArrayList<>();
            map.forEach((key, element) -> entries.add(string(String.valueOf(key)) + ": " + element(element, wrap)));
            return "{" + String.join(", ", entries) + "}";
        }
        if (value instanceof Collection<?> list) {
            boolean wrap = mixed(list);
            List<String> elements = new ArrayList<>();
            list.forEach(element -> elements.add(element(element, wrap)));
            return "[" + String.join(", ", elements) + "]";
        }
        throw new IllegalArgumentException("no CEL literal for " + value.getClass().getName());
    }

    private static String element(Object value, boolean wrap) {
        return wrap ? "dyn(" + of(value) + ")" : of(value);
    }

    /**
     * True when the values may not share one CEL type: different Java types, or several lists or maps (whose
     * element types may differ; wrapping them costs nothing).
     */
    private static boolean mixed(Collection<?> values) {
        Set<Class<?>> types = new HashSet<>();
        boolean aggregate = false;
        for (Object value : values) {
            aggregate |= value instanceof Map<?, ?> || value instanceof Collection<?>;
            types.add(value == null ? Void.class : value.getClass());
        }
        return types.size() > 1 || (aggregate && values.size() > 1);
    }

    /** A single-quoted CEL string with backslash escapes. */
    static String string(String text) {
        StringBuilder literal = new StringBuilder(text.length() + 2).append('\'');
        text.codePoints().forEach(c -> {
            switch (c) {
                case '\\' -> literal.append("\\\\");
                case '\'' -> literal.append("\\'");
                case '\n' -> literal.append("\\n");
                case '\r' -> literal.append("\\r");
                case '\t' -> literal.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        literal.append(String.format("\\x%02x", c));
                    } else {
                        literal.appendCodePoint(c);
                    }
                }
            }
        });
        return literal.append('\'').toString();
    }
}
