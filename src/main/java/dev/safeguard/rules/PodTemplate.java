package dev.safeguard.rules;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * The pod template of an object ({@code metadata.labels}, {@code metadata.annotations} and {@code spec} of the
 * pod it describes, or of the Pod itself), how to put another template in its place, and how two templates
 * differ, part by part: each container and each volume by name, and each other pod-level field. The parts are
 * what an inherited violation can point at.
 */
final class PodTemplate {

    private static final List<String> CONTAINER_LISTS = List.of("initContainers", "containers", "ephemeralContainers");

    /**
     * One way a child's template differs from its owner's.
     *
     * @param description what it is, for messages ("container 'istio-proxy'")
     * @param apply       the owner's template with this one difference of the child's applied
     * @param isolate     for a container or volume the owner's template does not have: the owner's template
     *                    with only this container (or volume) in its list, so it is judged on its own; else null
     * @param baseline    with {@code isolate}: the owner's template with that list empty, what the isolated
     *                    verdict is compared with (a pod-level violation of the template stays in both)
     */
    record Difference(String description, UnaryOperator<Map<String, Object>> apply,
            UnaryOperator<Map<String, Object>> isolate, UnaryOperator<Map<String, Object>> baseline) {
    }

    private PodTemplate() {
    }

    /** The template of {@code object} of {@code kind} as {metadata: {labels, annotations}, spec}; null for kinds without one. */
    static Map<String, Object> of(Map<String, Object> object, String kind) {
        if ("Pod".equals(kind)) {
            Map<String, Object> metadata = new LinkedHashMap<>();
            putIfPresent(metadata, "labels", ObjectTree.get(object, "metadata", "labels"));
            putIfPresent(metadata, "annotations", ObjectTree.get(object, "metadata", "annotations"));
            Map<String, Object> template = new LinkedHashMap<>();
            template.put("metadata", metadata);
            template.put("spec", ObjectTree.map(object, "spec"));
            return template;
        }
        String specPath = Workload.podSpecPath(kind);
        if (specPath.isEmpty()) {
            return null;
        }
        return at(object, templatePath(specPath));
    }

    /** The template {@code owner} keeps at {@code path} ("spec.template"); null when there is none. */
    static Map<String, Object> at(Map<String, Object> owner, String path) {
        return ObjectTree.get(owner, path.split("\\.")) instanceof Map<?, ?> template ? cast(template) : null;
    }

    /** A copy of {@code object} of {@code kind} made from {@code template} instead of its own. */
    static Map<String, Object> replace(Map<String, Object> object, String kind, Map<String, Object> template) {
        if ("Pod".equals(kind)) {
            Map<String, Object> metadata = new LinkedHashMap<>(ObjectTree.map(object, "metadata"));
            metadata.remove("labels");
            metadata.remove("annotations");
            putIfPresent(metadata, "labels", ObjectTree.get(template, "metadata", "labels"));
            putIfPresent(metadata, "annotations", ObjectTree.get(template, "metadata", "annotations"));
            Map<String, Object> pod = new LinkedHashMap<>(object);
            pod.put("metadata", metadata);
            pod.put("spec", ObjectTree.map(template, "spec"));
            return pod;
        }
        return with(object, templatePath(Workload.podSpecPath(kind)).split("\\."), 0, template);
    }

    /** Every part in which {@code child} differs from {@code owner} (both templates as {@link #of} returns them). */
    static List<Difference> differences(Map<String, Object> owner, Map<String, Object> child) {
        // Labels and annotations are not parts: a controller adds its own (pod-template-hash), rules name them in
        // messages, and what they carry comes from the owner's template or from the trusted controller.
        List<Difference> differences = new ArrayList<>();
        Map<String, Object> mySpec = ObjectTree.map(child, "spec");
        Map<String, Object> theirSpec = ObjectTree.map(owner, "spec");
        for (String field : union(theirSpec.keySet(), mySpec.keySet())) {
            if (CONTAINER_LISTS.contains(field)) {
                namedDifferences(differences, field, theirSpec, mySpec, "container");
            } else if ("volumes".equals(field)) {
                namedDifferences(differences, field, theirSpec, mySpec, "volume");
            } else if (!Objects.equals(mySpec.get(field), theirSpec.get(field))) {
                Object value = mySpec.get(field);
                differences.add(new Difference("pod field " + field,
                        template -> withEntry(template, List.of("spec"), field, value), null, null));
            }
        }
        return differences;
    }

    /** Differences in one list of named elements (containers of one type, volumes), element by element. */
    private static void namedDifferences(List<Difference> differences, String list, Map<String, Object> ownerSpec,
            Map<String, Object> childSpec, String noun) {
        Map<String, Object> theirs = byName(ObjectTree.list(ownerSpec, list));
        Map<String, Object> mine = byName(ObjectTree.list(childSpec, list));
        for (String name : union(theirs.keySet(), mine.keySet())) {
            Object element = mine.get(name);
            if (Objects.equals(element, theirs.get(name))) {
                continue;
            }
            String description = noun + " '" + name + "'" + ("containers".equals(list) || "volumes".equals(list)
                    ? "" : " (" + ("initContainers".equals(list) ? "init" : "ephemeral") + ")");
            UnaryOperator<Map<String, Object>> apply = template -> withElement(template, list, name, element);
            if (element != null && !theirs.containsKey(name)) {
                differences.add(new Difference(description, apply, template -> isolated(template, list, element),
                        template -> isolated(template, list, null)));
            } else {
                differences.add(new Difference(description, apply, null, null));
            }
        }
    }

    /** The template with {@code element} the only container (or the only volume); null for none at all. */
    private static Map<String, Object> isolated(Map<String, Object> template, String list, Object element) {
        Map<String, Object> spec = new LinkedHashMap<>(ObjectTree.map(template, "spec"));
        if (CONTAINER_LISTS.contains(list)) {
            CONTAINER_LISTS.forEach(spec::remove);
        }
        spec.remove(list);
        if (element != null) {
            spec.put(list, List.of(element));
        }
        Map<String, Object> copy = new LinkedHashMap<>(template);
        copy.put("spec", spec);
        return copy;
    }

    /** The template with the element called {@code name} in spec.{@code list} replaced, added or (null) removed. */
    private static Map<String, Object> withElement(Map<String, Object> template, String list, String name, Object element) {
        List<Object> elements = new ArrayList<>();
        boolean replaced = false;
        int index = 0;
        for (Object existing : ObjectTree.list(template, "spec", list)) {
            if (name.equals(nameOf(existing, index++))) {
                replaced = true;
                if (element != null) {
                    elements.add(element);
                }
            } else {
                elements.add(existing);
            }
        }
        if (!replaced && element != null) {
            elements.add(element);
        }
        return withEntry(template, List.of("spec"), list, elements.isEmpty() ? null : elements);
    }

    private static Map<String, Object> byName(List<Object> elements) {
        Map<String, Object> named = new LinkedHashMap<>();
        int index = 0;
        for (Object element : elements) {
            named.put(nameOf(element, index++), element);
        }
        return named;
    }

    /** The element's name, or "#3" for one without (a manifest may omit it; the API server would not). */
    private static String nameOf(Object element, int index) {
        return element instanceof Map<?, ?> map && map.get("name") instanceof String name && !name.isEmpty()
                ? name : "#" + index;
    }

    /** A copy of {@code tree} with the map at {@code path} holding {@code value} under {@code key} (null removes it). */
    private static Map<String, Object> withEntry(Map<String, Object> tree, List<String> path, String key, Object value) {
        Map<String, Object> inner = new LinkedHashMap<>(ObjectTree.map(tree, path.toArray(String[]::new)));
        if (value == null) {
            inner.remove(key);
        } else {
            inner.put(key, value);
        }
        return with(tree, path.toArray(String[]::new), 0, inner);
    }

    private static Map<String, Object> with(Map<String, Object> tree, String[] path, int depth, Object value) {
        Map<String, Object> copy = new LinkedHashMap<>(tree);
        if (depth == path.length - 1) {
            copy.put(path[depth], value);
        } else {
            copy.put(path[depth], with(ObjectTree.map(tree, path[depth]), path, depth + 1, value));
        }
        return copy;
    }

    /** spec.template.spec -> spec.template. */
    private static String templatePath(String specPath) {
        return specPath.substring(0, specPath.length() - ".spec".length());
    }

    private static Set<String> union(Set<String> first, Set<String> second) {
        Set<String> all = new LinkedHashSet<>(first);
        all.addAll(second);
        return all;
    }

    private static void putIfPresent(Map<String, Object> map, String key, Object value) {
        if (value != null) {
            map.put(key, value);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Map<?, ?> map) {
        return (Map<String, Object>) map;
    }
}
