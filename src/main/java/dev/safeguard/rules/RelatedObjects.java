package dev.safeguard.rules;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Where context rules find other objects: the PodDisruptionBudgets beside a Deployment, the Services
 * sharing a namespace. In the cluster an informer cache answers, in CI the other manifests of the bundle;
 * never a live API call per request.
 */
public interface RelatedObjects {

    /**
     * Objects of {@code kind} in {@code namespace} as plain maps (the engine normalises them).
     *
     * @param namespace the namespace, or null when the subject's namespace is unknown
     */
    List<Map<String, Object>> list(String kind, String namespace);

    /**
     * True when {@link #list} returns trees {@link ObjectTree} already built (immutable, nulls dropped, whole
     * numbers as Long): the engine then uses them as they are instead of normalising a copy for every rule
     * and every object judged, which made context rules quadratic in copies over a large namespace.
     */
    default boolean normalised() {
        return false;
    }

    /**
     * {@link #list} as a {@link RelatedList}, whose indexes (by name, selector and pod labels) make lookups in a large
     * namespace cheap. A source that returns the same RelatedList for every object of a namespace (the bundle of
     * {@code safeguard check}, an informer snapshot) builds each index once; the default wraps {@link #list} anew.
     */
    @SuppressWarnings("unchecked")
    default RelatedList indexed(String kind, String namespace) {
        List<Map<String, Object>> objects = list(kind, namespace);
        if (objects instanceof RelatedList related) {
            return related;
        }
        if (normalised()) {
            return RelatedList.of(objects);
        }
        List<Map<String, Object>> trees = new ArrayList<>(objects.size());
        for (Map<String, Object> object : objects) {
            trees.add((Map<String, Object>) ObjectTree.ofValue(object));
        }
        return RelatedList.of(trees);
    }

    /**
     * The object of {@code kind} called {@code name} in {@code namespace}, or null when there is none: how the
     * engine finds the owner an ownerReference names.
     */
    default Map<String, Object> get(String kind, String namespace, String name) {
        return indexed(kind, namespace).named(name);
    }

    /**
     * The labels of the namespace called {@code namespace}, as its Namespace object carries them; empty when the
     * source does not know it. The engine adds {@value Policy#NAMESPACE_NAME_LABEL} itself. {@code namespace} is null
     * for an object whose namespace is not known.
     */
    default Map<String, ?> namespaceLabels(String namespace) {
        return Map.of();
    }

    /** False when there is no context at all: context rules then see no {@code related} entries and stay quiet. */
    default boolean available() {
        return true;
    }

    /** No context source: evaluation of a lone object. */
    RelatedObjects NONE = new RelatedObjects() {
        @Override
        public List<Map<String, Object>> list(String kind, String namespace) {
            return List.of();
        }

        @Override
        public boolean available() {
            return false;
        }
    };
}
