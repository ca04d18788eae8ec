package dev.safeguard.rules;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * An immutable map in insertion order kept as two arrays: what {@link ObjectTree} builds for every mapping of an
 * object. Kubernetes objects are trees of small maps (a container, a probe, a selector); a LinkedHashMap spends
 * about 60 bytes per entry on them, this spends 8, which is what lets the background audit hold a cluster's
 * 30,000 objects in a 256 MiB heap. Lookups scan the keys, which for maps of this size is as fast as hashing.
 */
final class CompactMap extends AbstractMap<String, Object> {

    private final String[] keys;
    private final Object[] values;

    /** @param keys distinct keys, in order; both arrays are owned by the map from now on */
    CompactMap(String[] keys, Object[] values) {
        this.keys = keys;
        this.values = values;
    }

    @Override
    public int size() {
        return keys.length;
    }

    @Override
    public boolean containsKey(Object key) {
        return indexOf(key) >= 0;
    }

    @Override
    public Object get(Object key) {
        int index = indexOf(key);
        return index < 0 ? null : values[index];
    }

    private int indexOf(Object key) {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i].equals(key)) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public Set<Entry<String, Object>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<Entry<String, Object>> iterator() {
                return new Iterator<>() {
                    private int next;

                    @Override
                    public boolean hasNext() {
                        return next < keys.length;
                    }

                    @Override
                    public Entry<String, Object> next() {
                        if (next >= keys.length) {
                            throw new NoSuchElementException();
                        }
                        int index = next++;
                        return new SimpleImmutableEntry<>(keys[index], values[index]);
                    }
                };
            }

            @Override
            public int size() {
                return keys.length;
            }
        };
    }

    /** The same entries as {@code map}, in its order. */
    static CompactMap of(Map<String, Object> map) {
        String[] keys = new String[map.size()];
        Object[] values = new Object[map.size()];
        int i = 0;
        for (Map.Entry<String, Object> entry : map.entrySet()) {
            keys[i] = entry.getKey();
            values[i++] = entry.getValue();
        }
        return new CompactMap(keys, values);
    }
}
