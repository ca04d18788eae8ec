package dev.safeguard.cluster;

import dev.safeguard.rules.ApiResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The objects of one kind as the engine reads them: each cached object of a namespace (read from the
 * informer's namespace index, in memory) converted once per resourceVersion into a normalised
 * {@link ObjectTree} that carries {@code kind} and {@code apiVersion} (list results lack them) and no
 * {@code metadata.managedFields} (large, and no rule reads them).
 */
final class KindCache {

    private record Converted(String resourceVersion, Map<String, Object> tree) {
    }

    private final ApiResource kind;
    private final Function<String, List<? extends HasMetadata>> byNamespace;
    private final Function<String, ? extends HasMetadata> byKey;
    private final Function<Object, Map<String, Object>> toMap;
    private final Map<String, Converted> converted = new ConcurrentHashMap<>();

    /**
     * @param byNamespace the cached objects of one namespace (the informer's namespace index)
     * @param byKey       the cached object with the key "namespace/name", or null
     * @param toMap       a resource as a plain JSON-like map (the client's serialization)
     */
    KindCache(ApiResource kind, Function<String, List<? extends HasMetadata>> byNamespace,
            Function<String, ? extends HasMetadata> byKey, Function<Object, Map<String, Object>> toMap) {
        this.kind = kind;
        this.byNamespace = byNamespace;
        this.byKey = byKey;
        this.toMap = toMap;
    }

    ApiResource kind() {
        return kind;
    }

    List<Map<String, Object>> list(String namespace) {
        if (namespace == null) {
            return List.of();
        }
        List<? extends HasMetadata> objects = byNamespace.apply(namespace);
        List<Map<String, Object>> trees = new ArrayList<>(objects.size());
        for (HasMetadata object : objects) {
            // The index is exact, but a stale answer must never put another namespace's object in front of a rule.
            if (namespace.equals(object.getMetadata().getNamespace())) {
                trees.add(tree(object));
            }
        }
        return trees;
    }

    /** The cached object called {@code name} in {@code namespace}, converted, or null when the cache has none. */
    Map<String, Object> get(String namespace, String name) {
        if (namespace == null || name == null) {
            return null;
        }
        HasMetadata object = byKey.apply(namespace + "/" + name);
        return object == null ? null : tree(object);
    }

    /** The given cached objects (of every namespace), converted. */
    List<Map<String, Object>> convertAll(List<? extends HasMetadata> objects) {
        List<Map<String, Object>> trees = new ArrayList<>(objects.size());
        for (HasMetadata object : objects) {
            trees.add(tree(object));
        }
        return trees;
    }

    /** Drops the converted copy of a deleted object. */
    void forget(HasMetadata object) {
        converted.remove(key(object));
    }

    int convertedCount() {
        return converted.size();
    }

    private Map<String, Object> tree(HasMetadata object) {
        String key = key(object);
        String resourceVersion = object.getMetadata().getResourceVersion();
        Converted cached = converted.get(key);
        if (cached != null && resourceVersion != null && resourceVersion.equals(cached.resourceVersion())) {
            return cached.tree();
        }
        Map<String, Object> tree = convert(object);
        if (resourceVersion != null) {
            converted.put(key, new Converted(resourceVersion, tree));
        }
        return tree;
    }

    /** The normalised tree of one object, with kind and apiVersion set and managedFields left out. */
    Map<String, Object> convert(Object object) {
        return ApiObjects.tree(toMap.apply(object), kind);
    }

    private static String key(HasMetadata object) {
        String uid = object.getMetadata().getUid();
        return uid != null ? uid : object.getMetadata().getNamespace() + "/" + object.getMetadata().getName();
    }
}
