package dev.safeguard.cli;

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

    BundleRelatedObjects(List<Manifest> manifests) {
        Map<Key, List<Map<String, Object>>> groups = new HashMap<>();
        for (Manifest manifest : manifests) {
            groups.computeIfAbsent(new Key(manifest.kind(), manifest.namespace()), key -> new ArrayList<>())
                    .add(manifest.object());
        }
        groups.forEach((key, objects) -> index.put(key, RelatedList.of(objects)));
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
