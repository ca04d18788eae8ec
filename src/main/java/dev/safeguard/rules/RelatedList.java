package dev.safeguard.rules;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.RandomAccess;
import java.util.TreeSet;

/**
 * The objects of one kind in one namespace, as context rules read them ({@code related.PodDisruptionBudget}), with
 * indexes built on first use and shared by every object judged against the same list: by name, by each object's
 * label selector, and by the labels of each object's pods. They make {@code selecting()} and {@code selectedBy()}
 * look up candidates instead of trying every object, which made context rules quadratic in the size of a namespace.
 *
 * <p>Immutable and thread-safe. A view without the object being judged ({@link #without}) shares the indexes.
 */
public final class RelatedList extends AbstractList<Map<String, Object>> implements RandomAccess {

    private static final int[] NONE = new int[0];

    /** The objects and their lazily built indexes. */
    private static final class Index {
        final List<Map<String, Object>> objects;
        private volatile Map<String, int[]> byName;
        private volatile Selectors selectors;
        private volatile Map<String, int[]> byPodLabel;

        Index(List<Map<String, Object>> objects) {
            this.objects = objects;
        }

        Map<String, int[]> byName() {
            Map<String, int[]> index = byName;
            if (index == null) {
                Map<String, List<Integer>> positions = new HashMap<>();
                for (int i = 0; i < objects.size(); i++) {
                    String name = ObjectTree.string(objects.get(i), "metadata", "name");
                    if (name != null) {
                        positions.computeIfAbsent(name, key -> new ArrayList<>(1)).add(i);
                    }
                }
                byName = index = arrays(positions);
            }
            return index;
        }

        Selectors selectors() {
            Selectors index = selectors;
            if (index == null) {
                selectors = index = new Selectors(objects);
            }
            return index;
        }

        Map<String, int[]> byPodLabel() {
            Map<String, int[]> index = byPodLabel;
            if (index == null) {
                Map<String, List<Integer>> positions = new HashMap<>();
                for (int i = 0; i < objects.size(); i++) {
                    for (Map.Entry<String, Object> label : Workload.podLabelsOf(objects.get(i)).entrySet()) {
                        positions.computeIfAbsent(LabelSelector.pair(label.getKey(), label.getValue()),
                                key -> new ArrayList<>()).add(i);
                    }
                }
                byPodLabel = index = arrays(positions);
            }
            return index;
        }
    }

    /** Each object's selector, parsed once, indexed by one label pair every label set it selects must carry. */
    private static final class Selectors {
        final LabelSelector[] parsed;
        final Map<String, int[]> anchored;
        final int[] unanchored;

        Selectors(List<Map<String, Object>> objects) {
            parsed = new LabelSelector[objects.size()];
            Map<String, List<Integer>> byAnchor = new HashMap<>();
            List<Integer> always = new ArrayList<>();
            for (int i = 0; i < objects.size(); i++) {
                LabelSelector selector = LabelSelector.ofObject(objects.get(i));
                parsed[i] = selector;
                if (selector.nothing()) {
                    continue;
                }
                List<String> anchors = selector.anchors();
                if (anchors.isEmpty()) {
                    always.add(i);
                }
                for (String anchor : anchors) {
                    byAnchor.computeIfAbsent(anchor, key -> new ArrayList<>()).add(i);
                }
            }
            anchored = arrays(byAnchor);
            unanchored = always.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    private final Index index;
    /** Positions left out of this view, ascending. */
    private final int[] excluded;

    private RelatedList(Index index, int[] excluded) {
        this.index = index;
        this.excluded = excluded;
    }

    /** A list of normalised objects ({@link ObjectTree} form), indexed on first use. */
    public static RelatedList of(List<Map<String, Object>> objects) {
        return objects instanceof RelatedList related ? related : new RelatedList(new Index(List.copyOf(objects)), NONE);
    }

    /** This list without the objects called {@code name} (the object under judgement). */
    public RelatedList without(String name) {
        int[] positions = name == null ? null : index.byName().get(name);
        if (positions == null) {
            return this;
        }
        TreeSet<Integer> all = new TreeSet<>();
        Arrays.stream(excluded).forEach(all::add);
        Arrays.stream(positions).forEach(all::add);
        return new RelatedList(index, all.stream().mapToInt(Integer::intValue).toArray());
    }

    /** The object called {@code name}, or null. */
    public Map<String, Object> named(String name) {
        int[] positions = name == null ? null : index.byName().get(name);
        if (positions != null) {
            for (int position : positions) {
                if (Arrays.binarySearch(excluded, position) < 0) {
                    return index.objects.get(position);
                }
            }
        }
        return null;
    }

    /** The objects whose selector (spec.selector, as their kind reads it) selects {@code labels}, in list order. */
    public List<Map<String, Object>> selecting(Object labels) {
        Map<?, ?> labelMap = labels instanceof Map<?, ?> map ? map : Map.of();
        Selectors selectors = index.selectors();
        TreeSet<Integer> candidates = new TreeSet<>();
        for (Map.Entry<?, ?> label : labelMap.entrySet()) {
            int[] positions = selectors.anchored.get(LabelSelector.pair(label.getKey(), label.getValue()));
            if (positions != null) {
                Arrays.stream(positions).forEach(candidates::add);
            }
        }
        Arrays.stream(selectors.unanchored).forEach(candidates::add);
        List<Map<String, Object>> found = new ArrayList<>();
        for (int position : candidates) {
            if (Arrays.binarySearch(excluded, position) < 0 && selectors.parsed[position].matches(labelMap)) {
                found.add(index.objects.get(position));
            }
        }
        return found;
    }

    /** The objects whose pods' labels {@code selector} (a metav1.LabelSelector) selects, in list order. */
    public List<Map<String, Object>> selectedBy(Object selector) {
        LabelSelector parsed = LabelSelector.of(selector);
        if (parsed.nothing()) {
            return List.of();
        }
        int[] candidates = null;
        if (!parsed.matchLabels().isEmpty()) {
            // Every selected object carries each matchLabels pair: the rarest one is the shortest list to try.
            for (Map.Entry<String, Object> pair : parsed.matchLabels().entrySet()) {
                int[] positions = index.byPodLabel().getOrDefault(LabelSelector.pair(pair.getKey(), pair.getValue()), NONE);
                if (candidates == null || positions.length < candidates.length) {
                    candidates = positions;
                }
            }
        } else {
            List<String> anchors = parsed.anchors();
            if (!anchors.isEmpty()) {
                TreeSet<Integer> union = new TreeSet<>();
                for (String anchor : anchors) {
                    Arrays.stream(index.byPodLabel().getOrDefault(anchor, NONE)).forEach(union::add);
                }
                candidates = union.stream().mapToInt(Integer::intValue).toArray();
            }
        }
        List<Map<String, Object>> found = new ArrayList<>();
        int count = candidates == null ? index.objects.size() : candidates.length;
        for (int i = 0; i < count; i++) {
            int position = candidates == null ? i : candidates[i];
            if (Arrays.binarySearch(excluded, position) < 0
                    && parsed.matches(Workload.podLabelsOf(index.objects.get(position)))) {
                found.add(index.objects.get(position));
            }
        }
        return found;
    }

    @Override
    public Map<String, Object> get(int i) {
        if (i < 0 || i >= size()) {
            throw new IndexOutOfBoundsException(i);
        }
        int position = i;
        for (int skipped : excluded) {
            if (skipped <= position) {
                position++;
            } else {
                break;
            }
        }
        return index.objects.get(position);
    }

    @Override
    public int size() {
        return index.objects.size() - excluded.length;
    }

    private static Map<String, int[]> arrays(Map<String, List<Integer>> positions) {
        Map<String, int[]> arrays = new HashMap<>(positions.size() * 2);
        positions.forEach((key, list) -> arrays.put(key, list.stream().mapToInt(Integer::intValue).toArray()));
        return arrays;
    }
}
