package dev.safeguard.cli;

import dev.safeguard.rules.ObjectTree;
import dev.safeguard.rules.RelatedList;
import dev.safeguard.rules.RelatedObjects;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Context for {@code safeguard check}: the other objects of the same run, as the informer cache is in the
 * cluster. Objects are grouped by kind and namespace, each group one {@link RelatedList} whose indexes (by name,
 * selector and pod labels) are built once for the whole run; an object without a namespace is in the unknown
 * namespace (null) and only meets other objects without one, never those in {@code default}. (With
 * {@code --namespace}, the reader has already given such objects that namespace.)
 */
final class BundleRelatedObjects implements RelatedObjects {

    private record Key(String kind, String namespace) {
    }

    private static final RelatedList NONE = RelatedList.of(List.of());

    private final Map<Key, RelatedList> index = new HashMap<>();
    private final Map<String, Map<String, Object>> namespaceLabels = new HashMap<>();
    private final Map<String, String> givenLabels;

    BundleRelatedObjects(List<Manifest> manifests) {
        this(manifests, Map.of());
    }

    /** @param givenLabels labels every namespace is taken to carry ({@code --namespace-labels}) */
    BundleRelatedObjects(List<Manifest> manifests, Map<String, String> givenLabels) {
        this.givenLabels = Map.copyOf(givenLabels);
        for (Manifest manifest : manifests) {
            if (manifest.kind().equals("Namespace") && ObjectTree.string(manifest.object(), "metadata", "name") != null) {
                namespaceLabels.put(ObjectTree.string(manifest.object(), "metadata", "name"),
                        ObjectTree.map(manifest.object(), "metadata", "labels"));
            }
        }
        Map<Key, List<Map<String, Object>>> groups = new HashMap<>();
        for (Manifest manifest : manifests) {
            groups.computeIfAbsent(new Key(manifest.kind(), manifest.namespace()), key -> new ArrayList<>())
                    .add(manifest.object());
        }
        groups.forEach((key, objects) -> index.put(key, RelatedList.of(objects)));
    }

    /** A Namespace of the input's labels, with the given ones over them. */
    @Override
    public Map<String, ?> namespaceLabels(String namespace) {
        Map<String, Object> labels = new HashMap<>(namespaceLabels.getOrDefault(namespace, Map.of()));
        labels.putAll(givenLabels);
        return labels;
    }

    /** The manifests were read through ObjectTree.of: the engine need not copy them again. */
    @Override
    public boolean normalised() {
        return true;
    }

    @Override
    public List<Map<String, Object>> list(String kind, String namespace) {
        return indexed(kind, namespace);
    }

    @Override
    public RelatedList indexed(String kind, String namespace) {
        return index.getOrDefault(new Key(Objects.requireNonNull(kind), namespace), NONE);
    }
}
