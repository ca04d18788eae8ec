package dev.safeguard.cli;

import dev.safeguard.rules.RelatedObjects;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Context for {@code safeguard check}: the other objects of the same run, as the informer cache is in the
 * cluster. Objects are indexed by kind and namespace; an object without a namespace is in the unknown
 * namespace (null) and only meets other objects without one, never those in {@code default}. (With
 * {@code --namespace}, the reader has already given such objects that namespace.)
 */
final class BundleRelatedObjects implements RelatedObjects {

    private record Key(String kind, String namespace) {
    }

    private final Map<Key, List<Map<String, Object>>> index = new HashMap<>();

    BundleRelatedObjects(List<Manifest> manifests) {
        for (Manifest manifest : manifests) {
            index.computeIfAbsent(new Key(manifest.kind(), manifest.namespace()), key -> new ArrayList<>())
                    .add(manifest.object());
        }
        index.replaceAll((key, objects) -> List.copyOf(objects));
    }

    /** The manifests were read through ObjectTree.of: the engine need not copy them again. */
    @Override
    public boolean normalised() {
        return true;
    }

    @Override
    public List<Map<String, Object>> list(String kind, String namespace) {
        return index.getOrDefault(new Key(Objects.requireNonNull(kind), namespace), List.of());
    }
}
