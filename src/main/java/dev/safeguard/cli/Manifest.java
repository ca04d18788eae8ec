package dev.safeguard.cli;

import dev.safeguard.rules.ObjectTree;
import java.util.Map;

/**
 * One Kubernetes object read from a manifest, with where it came from.
 *
 * @param source   the file as the user named it (or found it under a directory they named), {@code -} or the
 *                 {@code --stdin-name} for standard input
 * @param document 1-based index of the YAML document in the source (empty documents count, as a reader
 *                 counting {@code ---} separators would); the JSON value in a JSON stream
 * @param item     1-based index in the {@code items} of a {@code kind: List} document, 0 for a plain document
 * @param line     1-based line where the object starts (its first key)
 * @param object   the normalised tree the engine judges (see {@link ObjectTree})
 */
public record Manifest(String source, int document, int item, int line, Map<String, Object> object) {

    public String kind() {
        return ObjectTree.string(object, "kind");
    }

    /** metadata.namespace, or null when the manifest names none (and no --namespace filled it in). */
    public String namespace() {
        return ObjectTree.string(object, "metadata", "namespace");
    }

    /** metadata.name, else metadata.generateName, else null. */
    public String name() {
        String name = ObjectTree.string(object, "metadata", "name");
        return name != null ? name : ObjectTree.string(object, "metadata", "generateName");
    }

    /** "deploy/app.yaml, document 2, line 14" (with ", item 3" inside a List): for messages. */
    public String location() {
        return source + ", document " + document + (item > 0 ? ", item " + item : "") + ", line " + line;
    }
}
