package dev.safeguard.rules;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A label selector parsed once: metav1.LabelSelector semantics (every matchLabels pair and every matchExpressions
 * requirement must hold; an empty selector selects everything), or a Service's plain map of labels. Immutable.
 *
 * @param matchLabels  pairs that must be present with these values
 * @param requirements matchExpressions, in order
 * @param nothing      true for a selector that selects nothing (missing, not a mapping, a Service without one)
 */
public record LabelSelector(Map<String, Object> matchLabels, List<Requirement> requirements, boolean nothing) {

    /** A selector that selects nothing. */
    public static final LabelSelector NOTHING = new LabelSelector(Map.of(), List.of(), true);

    /** Kinds whose spec.selector is a plain map of labels rather than a LabelSelector. */
    private static final Set<String> MAP_SELECTOR_KINDS = Set.of("Service", "ReplicationController");

    /** One matchExpressions requirement. An operator the API server does not know holds for nothing. */
    public record Requirement(Object key, String operator, List<?> values) {

        boolean holds(Map<?, ?> labels) {
            Object actual = labels.get(key);
            return switch (operator) {
                case "In" -> actual != null && values.contains(actual);
                case "NotIn" -> actual == null || !values.contains(actual);
                case "Exists" -> labels.containsKey(key);
                case "DoesNotExist" -> !labels.containsKey(key);
                default -> false;
            };
        }
    }

    /** A metav1.LabelSelector value as a manifest writes it; anything but a mapping selects nothing. */
    public static LabelSelector of(Object selector) {
        if (!(selector instanceof Map<?, ?> map)) {
            return NOTHING;
        }
        Map<String, Object> labels = new LinkedHashMap<>();
        if (map.get("matchLabels") instanceof Map<?, ?> matchLabels) {
            matchLabels.forEach((key, value) -> labels.put(String.valueOf(key), value));
        }
        List<Requirement> requirements = new ArrayList<>();
        if (map.get("matchExpressions") instanceof List<?> expressions) {
            for (Object expression : expressions) {
                if (!(expression instanceof Map<?, ?> requirement)) {
                    return NOTHING; // a malformed requirement holds for no labels
                }
                requirements.add(new Requirement(requirement.get("key"), String.valueOf(requirement.get("operator")),
                        requirement.get("values") instanceof List<?> values ? values : List.of()));
            }
        }
        return new LabelSelector(labels, List.copyOf(requirements), false);
    }

    /** A Service's spec.selector: a plain map of labels; missing or empty selects no pods. */
    public static LabelSelector ofLabels(Object selector) {
        if (!(selector instanceof Map<?, ?> map) || map.isEmpty()) {
            return NOTHING;
        }
        Map<String, Object> labels = new LinkedHashMap<>();
        map.forEach((key, value) -> labels.put(String.valueOf(key), value));
        return new LabelSelector(labels, List.of(), false);
    }

    /** The selector of an object: its spec.selector, read as its kind defines it. */
    public static LabelSelector ofObject(Map<String, Object> object) {
        Object selector = ObjectTree.get(object, "spec", "selector");
        return MAP_SELECTOR_KINDS.contains(ObjectTree.string(object, "kind")) ? ofLabels(selector) : of(selector);
    }

    public boolean matches(Object labels) {
        if (nothing) {
            return false;
        }
        Map<?, ?> labelMap = labels instanceof Map<?, ?> map ? map : Map.of();
        for (Map.Entry<String, Object> required : matchLabels.entrySet()) {
            if (required.getValue() == null || !required.getValue().equals(labelMap.get(required.getKey()))) {
                return false;
            }
        }
        for (Requirement requirement : requirements) {
            if (!requirement.holds(labelMap)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Label pairs ({@code key=value}) of which a selected label set must carry at least one: one matchLabels pair,
     * else the values of an In requirement. Empty when the selector can select labels without any particular pair
     * (then an index must try it on every label set).
     */
    List<String> anchors() {
        if (nothing) {
            return List.of();
        }
        for (Map.Entry<String, Object> pair : matchLabels.entrySet()) {
            return List.of(pair(pair.getKey(), pair.getValue()));
        }
        for (Requirement requirement : requirements) {
            if (requirement.operator().equals("In")) {
                List<String> anchors = new ArrayList<>();
                for (Object value : requirement.values()) {
                    anchors.add(pair(requirement.key(), value));
                }
                return anchors;
            }
        }
        return List.of();
    }

    /** The index key of one label pair. */
    static String pair(Object key, Object value) {
        return key + "\u0000" + value;
    }
}
