package dev.safeguard.rules;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Reads rule files (YAML, one rule per file) and compiles them. The built-in pack is read from the
 * classpath, listed by {@code safeguards/index.txt} because a classpath directory cannot be listed
 * portably inside a packaged jar.
 */
public final class RuleLoader {

    public static final String PACK_DIRECTORY = "safeguards/";
    public static final String PACK_INDEX = PACK_DIRECTORY + "index.txt";

    private static final ObjectMapper YAML = YAMLMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private final RuleCompiler compiler;

    public RuleLoader(RuleCompiler compiler) {
        this.compiler = compiler;
    }

    /** Parses and compiles one rule file's text. */
    public CompiledRule load(String source, String yaml) throws RuleLoadException {
        JsonNode tree;
        try {
            tree = YAML.readTree(yaml);
        } catch (JsonProcessingException e) {
            throw new RuleLoadException(source, null, "not valid YAML" + YamlErrors.at(e.getLocation()) + ": "
                    + e.getOriginalMessage(), e);
        }
        if (tree == null || !tree.isObject()) {
            throw new RuleLoadException(source, null, "a rule file must hold one YAML mapping with id, title, "
                    + "category, action, match, validation and message");
        }
        // Read from the text, not the tree, so that mistakes carry their line and column.
        return compiler.compile(definition(source, yaml, tree, () -> YAML.readValue(yaml, RuleDefinition.class)), source);
    }

    /** Parses and compiles a rule already read as a tree (e.g. a custom rule inside a policy file). */
    public CompiledRule load(String source, JsonNode tree) throws RuleLoadException {
        return compiler.compile(definition(source, null, tree, () -> YAML.treeToValue(tree, RuleDefinition.class)), source);
    }

    private interface DefinitionReader {
        RuleDefinition read() throws JsonProcessingException;
    }

    /** Maps a rule onto a {@link RuleDefinition}, naming the field and position of any mistake. */
    private static RuleDefinition definition(String source, String text, JsonNode tree, DefinitionReader reader)
            throws RuleLoadException {
        String id = tree.path("id").isTextual() ? tree.path("id").asText() : null;
        try {
            return reader.read();
        } catch (UnrecognizedPropertyException e) {
            String known = e.getKnownPropertyIds() == null ? "" : e.getKnownPropertyIds().stream()
                    .map(String::valueOf).sorted().collect(Collectors.joining(", "));
            throw new RuleLoadException(source, id, "unknown field '" + YamlErrors.path(e) + "'" + YamlErrors.at(fieldLine(text, e))
                    + " (known fields: " + known + ")", e);
        } catch (JsonMappingException e) {
            throw new RuleLoadException(source, id, "field '" + YamlErrors.path(e) + "'" + YamlErrors.at(e.getLocation()) + ": "
                    + YamlErrors.rootMessage(e), e);
        } catch (JsonProcessingException e) {
            throw new RuleLoadException(source, id, e.getOriginalMessage(), e);
        }
    }

    /** Loads and compiles every rule of the built-in pack, in index order. */
    public List<CompiledRule> loadBuiltInPack() throws RuleLoadException {
        List<String> files = builtInFiles();
        // Compiling the CEL is most of the start-up time of the webhook and of `safeguard check`; the rules
        // are independent, so compile them on every core, then check them in index order.
        List<Object> compiled = files.parallelStream().map(file -> {
            String resource = PACK_DIRECTORY + file;
            try {
                return (Object) load(resource, readResource(resource));
            } catch (RuleLoadException e) {
                return e;
            }
        }).toList();
        List<CompiledRule> rules = new ArrayList<>();
        Map<String, String> seen = new LinkedHashMap<>();
        for (int i = 0; i < files.size(); i++) {
            String file = files.get(i);
            String resource = PACK_DIRECTORY + file;
            if (compiled.get(i) instanceof RuleLoadException e) {
                throw e;
            }
            CompiledRule rule = (CompiledRule) compiled.get(i);
            String expectedFile = rule.id() + ".yaml";
            if (!expectedFile.equals(file)) {
                throw new RuleLoadException(resource, rule.id(), "a built-in rule lives in a file named after "
                        + "its id: expected " + expectedFile);
            }
            if (seen.put(rule.id(), resource) != null) {
                throw new RuleLoadException(resource, rule.id(), "duplicate rule id");
            }
            rules.add(rule);
        }
        return List.copyOf(rules);
    }

    /** The file names listed in the pack index. */
    public static List<String> builtInFiles() throws RuleLoadException {
        return readResource(PACK_INDEX).lines()
                .map(String::strip)
                .filter(line -> !line.isEmpty() && !line.startsWith("#"))
                .toList();
    }

    private static String readResource(String resource) throws RuleLoadException {
        ClassLoader loader = RuleLoader.class.getClassLoader();
        try (InputStream in = loader.getResourceAsStream(resource)) {
            if (in == null) {
                throw new RuleLoadException(resource, null, "missing from the classpath");
            }
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                return reader.lines().collect(Collectors.joining("\n", "", "\n"));
            }
        } catch (IOException e) {
            throw new RuleLoadException(resource, null, "cannot be read: " + e.getMessage(), e);
        }
    }

    /**
     * The line of an unknown top-level field. Rules deserialise through a record creator, which buffers
     * the document, so Jackson reports where buffering stopped (usually the next line), not the field.
     */
    private static JsonLocation fieldLine(String text, UnrecognizedPropertyException e) {
        if (text != null && e.getPath().size() == 1) {
            List<String> lines = text.lines().toList();
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).startsWith(e.getPropertyName() + ":")) {
                    return new JsonLocation(null, -1, i + 1, 1);
                }
            }
        }
        return e.getLocation();
    }

}
