package dev.safeguard.rules;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One rule fixture file: the first YAML document is the object under test, any further documents are the
 * related objects a context rule sees. Header comments:
 * <ul>
 * <li>{@code # expect: text} — the violation message must contain this text (fail fixtures; repeatable);</li>
 * <li>{@code # params: {...}} — JSON merged over the rule's params for this fixture.</li>
 * </ul>
 */
record Fixture(Path file, Map<String, Object> object, List<Map<String, Object>> related, List<String> expected,
        Map<String, Object> params) {

    private static final ObjectMapper YAML = new YAMLMapper();
    private static final ObjectMapper JSON = new ObjectMapper();

    @SuppressWarnings("unchecked")
    static Fixture read(Path file) {
        try {
            String text = Files.readString(file);
            List<String> expected = new ArrayList<>();
            Map<String, Object> params = new LinkedHashMap<>();
            for (String line : text.lines().toList()) {
                if (line.startsWith("# expect:")) {
                    expected.add(line.substring("# expect:".length()).strip());
                } else if (line.startsWith("# params:")) {
                    params.putAll(JSON.readValue(line.substring("# params:".length()), Map.class));
                }
            }
            List<Map<String, Object>> documents = new ArrayList<>();
            try (MappingIterator<JsonNode> nodes = YAML.readerFor(JsonNode.class).readValues(text)) {
                while (nodes.hasNext()) {
                    JsonNode node = nodes.next();
                    if (node != null && node.isObject()) {
                        documents.add(ObjectTree.of(node));
                    }
                }
            }
            if (documents.isEmpty()) {
                throw new IllegalStateException(file + " holds no object");
            }
            return new Fixture(file, documents.get(0), documents.subList(1, documents.size()), expected, params);
        } catch (IOException e) {
            throw new UncheckedIOException(file.toString(), e);
        }
    }

    String kind() {
        return (String) object.get("kind");
    }

    RelatedObjects context() {
        return related.isEmpty() ? RelatedObjects.NONE : new InMemoryRelatedObjects(related);
    }
}
