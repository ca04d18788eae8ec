package dev.safeguard.cluster;

import dev.safeguard.rules.ApiResource;
import dev.safeguard.rules.ObjectTree;
import dev.safeguard.rules.RelatedList;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The objects of one kind, held once, as the engine reads them: the informer's own store (fabric8's
 * {@link ItemStore}), which keeps each object only as the normalised {@link ObjectTree} the rules see: with
 * {@code kind} and {@code apiVersion} (list results lack them), without {@code metadata.managedFields} (large,
 * and no rule reads them), converted once when the informer puts it. Indexed by namespace.
 *
 * <p>Why not fabric8's default store beside a converted copy: that held every object twice, once as
 * fabric8's mutable maps with managedFields, and the audit of 10,000 workloads with their Services and
 * budgets did not fit in a 256 MiB heap. The informer itself needs only metadata from its store (keys,
 * namespace, resourceVersion for relists and update events): it gets a metadata-only stand-in
 * ({@link #isFullState()} is false, as fabric8's own ReducedStateItemStore says).
 */
final class KindCache implements ItemStore<GenericKubernetesResource> {

    private final ApiResource kind;
    private final Function<Object, Map<String, Object>> toMap;
    private final Map<String, Map<String, Object>> trees = new ConcurrentHashMap<>();
    private final Map<String, Set<String>> byNamespace = new ConcurrentHashMap<>();
    private final Map<String, Snapshot> snapshots = new ConcurrentHashMap<>();
    private final Map<String, Long> versions = new ConcurrentHashMap<>();

    private record Snapshot(long version, RelatedList objects) {
    }

    /** @param toMap a resource as a plain JSON-like map (the client's serialization) */
    KindCache(ApiResource kind, Function<Object, Map<String, Object>> toMap) {
        this.kind = kind;
        this.toMap = toMap;
    }

    ApiResource kind() {
        return kind;
    }

    /** The objects of one namespace; none for the unknown (null) namespace. */
    List<Map<String, Object>> list(String namespace) {
        if (namespace == null) {
            return List.of();
        }
        Set<String> keys = byNamespace.get(namespace);
        if (keys == null) {
            return List.of();
        }
        List<Map<String, Object>> found = new ArrayList<>(keys.size());
        for (String key : keys) {
            Map<String, Object> tree = trees.get(key);
            // The index is updated beside the map: a stale entry must never put another object before a rule.
            if (tree != null && namespace.equals(ObjectTree.string(tree, "metadata", "namespace"))) {
                found.add(tree);
            }
        }
        return found;
    }

    /** The object called {@code name} in {@code namespace}, or null. */
    Map<String, Object> get(String namespace, String name) {
        return namespace == null || name == null ? null : trees.get(namespace + "/" + name);
    }

    /** The cluster-scoped object called {@code name} (a Namespace), or null. */
    Map<String, Object> clusterScoped(String name) {
        return name == null ? null : trees.get(name);
    }

    /** Every object of every namespace. */
    Collection<Map<String, Object>> all() {
        return trees.values();
    }

    /**
     * The objects of {@code namespace} as one {@link RelatedList}, whose indexes are built once and serve every review
     * until an object of the namespace is put or removed. A snapshot is tagged with the namespace's change count read
     * before it was built, and the count moves after the store changed, so a snapshot built while the store changed
     * is never served as current.
     */
    RelatedList indexed(String namespace) {
        if (namespace == null) {
            return RelatedList.of(List.of());
        }
        long version = versions.getOrDefault(namespace, 0L);
        Snapshot snapshot = snapshots.get(namespace);
        if (snapshot != null && snapshot.version() == version) {
            return snapshot.objects();
        }
        RelatedList objects = RelatedList.of(list(namespace));
        snapshots.put(namespace, new Snapshot(version, objects));
        return objects;
    }

    private void changed(String namespace) {
        if (namespace != null) {
            versions.merge(namespace, 1L, Long::sum);
            snapshots.remove(namespace);
        }
    }


    /** The normalised tree of one object read from the API server (not stored). */
    Map<String, Object> convert(Object object) {
        return ApiObjects.tree(toMap.apply(object), kind);
    }

    // --- fabric8's ItemStore: what the informer puts, removes and reads back ---------------------------

    @Override
    public String getKey(GenericKubernetesResource object) {
        return key(object.getMetadata().getNamespace(), object.getMetadata().getName());
    }

    @Override
    public GenericKubernetesResource put(String key, GenericKubernetesResource object) {
        Map<String, Object> tree = convert(object);
        Map<String, Object> previous = trees.put(key, tree);
        String namespace = object.getMetadata().getNamespace();
        byNamespace.computeIfAbsent(namespace == null ? "" : namespace, created -> ConcurrentHashMap.newKeySet()).add(key);
        changed(namespace);
        return standIn(previous);
    }

    @Override
    public GenericKubernetesResource remove(String key) {
        Map<String, Object> previous = trees.remove(key);
        if (previous != null) {
            String namespace = ObjectTree.string(previous, "metadata", "namespace");
            Set<String> keys = byNamespace.get(namespace == null ? "" : namespace);
            if (keys != null) {
                keys.remove(key);
            }
            changed(namespace);
        }
        return standIn(previous);
    }

    @Override
    public Stream<String> keySet() {
        return trees.keySet().stream();
    }

    @Override
    public Stream<GenericKubernetesResource> values() {
        return trees.values().stream().map(this::standIn);
    }

    @Override
    public GenericKubernetesResource get(String key) {
        return standIn(trees.get(key));
    }

    @Override
    public int size() {
        return trees.size();
    }

    @Override
    public boolean isFullState() {
        return false;
    }

    /** What the informer gets back: kind, apiVersion and the identifying metadata, nothing else. */
    private GenericKubernetesResource standIn(Map<String, Object> tree) {
        if (tree == null) {
            return null;
        }
        GenericKubernetesResource object = new GenericKubernetesResource();
        object.setKind(kind.kind());
        object.setApiVersion(kind.apiVersion());
        object.setMetadata(new ObjectMetaBuilder()
                .withNamespace(ObjectTree.string(tree, "metadata", "namespace"))
                .withName(ObjectTree.string(tree, "metadata", "name"))
                .withUid(ObjectTree.string(tree, "metadata", "uid"))
                .withResourceVersion(ObjectTree.string(tree, "metadata", "resourceVersion"))
                .build());
        return object;
    }

    private static String key(String namespace, String name) {
        return namespace == null ? name : namespace + "/" + name;
    }
}
