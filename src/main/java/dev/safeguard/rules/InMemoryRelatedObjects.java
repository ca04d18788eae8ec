package dev.safeguard.rules;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Related objects held in a list: used by tests and by anything that already has every object in hand. */
public final class InMemoryRelatedObjects implements RelatedObjects {

    private final List<Map<String, Object>> objects;

    public InMemoryRelatedObjects(List<Map<String, Object>> objects) {
        this.objects = List.copyOf(objects);
    }

    @Override
    public List<Map<String, Object>> list(String kind, String namespace) {
        List<Map<String, Object>> found = new ArrayList<>();
        for (Map<String, Object> object : objects) {
            if (kind.equals(object.get("kind"))
                    && Objects.equals(namespace, ObjectTree.string(object, "metadata", "namespace"))) {
                found.add(object);
            }
        }
        return found;
    }
}
