package dev.safeguard.rules;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Turns a parsed manifest into the plain tree CEL sees: maps, lists, strings, {@code Long}, {@code Double},
 * {@code Boolean}.
 *
 * <p>Nulls are dropped, in maps and lists alike: {@code livenessProbe:} with nothing after it means "no
 * probe" to Kubernetes, but CEL's {@code has()} is true for a key holding null. Integers become
 * {@code Long} because CEL's int is 64-bit and cel-java does not compare {@code Integer} with {@code Long}.
 */
public final class ObjectTree {

    private ObjectTree() {
    }

    /** The normalised tree of a JSON object node; an empty map for anything that is not an object. */
    public static Map<String, Object> of(JsonNode node) {
        if (node == null || !node.isObject()) {
            return Map.of();
        }
        return object(node);
    }

    private static Map<String, Object> object(JsonNode node) {
        Map<String, Object> map = new LinkedHashMap<>(Math.max(4, node.size() * 2));
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            Object value = value(field.getValue());
            if (value != null) {
                map.put(field.getKey(), value);
            }
        }
        return frozen(map);
    }

    /** Maps up to this size are kept as a {@link CompactMap}; larger ones (many labels) keep hashed lookups. */
    private static final int COMPACT_UP_TO = 16;

    /** An immutable copy in the same order, compact when small. */
    private static Map<String, Object> frozen(Map<String, Object> map) {
        return map.size() <= COMPACT_UP_TO ? CompactMap.of(map) : Collections.unmodifiableMap(map);
    }

    private static Object value(JsonNode node) {
        switch (node.getNodeType()) {
            case OBJECT:
                return object(node);
            case ARRAY: {
                List<Object> list = new ArrayList<>(node.size());
                for (JsonNode element : node) {
                    Object value = value(element);
                    if (value != null) {
                        list.add(value);
                    }
                }
                return Collections.unmodifiableList(list);
            }
            case STRING:
                return node.textValue();
            case BOOLEAN:
                return node.booleanValue();
            case NUMBER:
                if (node.isIntegralNumber() && node.canConvertToLong()) {
                    return node.longValue();
                }
                return node.doubleValue();
            case BINARY:
                return node.asText();
            default: // NULL, MISSING, POJO
                return null;
        }
    }

    /** Normalises an already built Java tree (rule params, related objects handed in as maps). */
    @SuppressWarnings("unchecked")
    public static Object ofValue(Object value) {
        return ofValue(value, UnaryOperator.identity());
    }

    /**
     * As {@link #ofValue(Object)}, for trees held for long (informer caches of a whole cluster): string values are
     * interned, since thousands of objects repeat the same images, labels and API versions.
     */
    public static Object ofValueInterned(Object value) {
        return ofValue(value, String::intern);
    }

    private static Object ofValue(Object value, UnaryOperator<String> strings) {
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> copy = new LinkedHashMap<>();
            map.forEach((key, element) -> {
                Object normalised = ofValue(element, strings);
                if (normalised != null) {
                    copy.put(String.valueOf(key), normalised);
                }
            });
            return frozen(copy);
        }
        if (value instanceof List<?> list) {
            List<Object> copy = new ArrayList<>(list.size());
            for (Object element : list) {
                Object normalised = ofValue(element, strings);
                if (normalised != null) {
                    copy.add(normalised);
                }
            }
            return Collections.unmodifiableList(copy);
        }
        if (value instanceof String text) {
            return strings.apply(text);
        }
        if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        if (value instanceof Float) {
            return ((Float) value).doubleValue();
        }
        return value;
    }

    /** Convenience for nested lookups in Java code: {@code get(tree, "spec", "template")}, null if absent. */
    public static Object get(Map<String, Object> tree, String... path) {
        Object current = tree;
        for (String key : path) {
            if (!(current instanceof Map<?, ?> map)) {
                return null;
            }
            current = map.get(key);
        }
        return current;
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> map(Map<String, Object> tree, String... path) {
        return get(tree, path) instanceof Map<?, ?> map ? (Map<String, Object>) map : Map.of();
    }

    @SuppressWarnings("unchecked")
    public static List<Object> list(Map<String, Object> tree, String... path) {
        return get(tree, path) instanceof List<?> list ? (List<Object>) list : List.of();
    }

    public static String string(Map<String, Object> tree, String... path) {
        return get(tree, path) instanceof String text ? text : null;
    }
}
