package dev.safeguard.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import dev.safeguard.rules.ObjectTree;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;

/**
 * Reads Kubernetes objects from files, directories and standard input: multi-document YAML (as
 * {@code helm template} and {@code kustomize build} print it, with comments and empty documents), JSON,
 * and {@code kind: List} documents, whose items are checked one by one. Each object keeps its source,
 * document index and line so that reports point at it.
 *
 * <p>Anything that cannot be read or parsed is a {@link ManifestException} naming the file, the document
 * and the line. A document that parses but is no Kubernetes object (no {@code kind}, or not a mapping, e.g.
 * a Helm values file found in a directory) is skipped and said so.
 */
final class ManifestReader {

    /** Marks standard input among the paths. */
    static final String STDIN = "-";

    /** Read when a directory is named: files ending in one of these, in sorted order, recursively. */
    private static final List<String> EXTENSIONS = List.of(".yaml", ".yml", ".json");

    /**
     * Kinds the API server keeps outside namespaces: --namespace does not apply to them. Kinds not listed
     * (including custom resources) are taken as namespaced, which is what most of them are.
     */
    private static final Set<String> CLUSTER_SCOPED = Set.of(
            "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
            "StorageClass", "PriorityClass", "RuntimeClass", "IngressClass", "CSIDriver", "CSINode",
            "VolumeAttachment", "CertificateSigningRequest", "APIService", "ValidatingWebhookConfiguration",
            "MutatingWebhookConfiguration", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
            "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding", "FlowSchema", "PriorityLevelConfiguration",
            "PodSecurityPolicy", "ComponentStatus", "ClusterTrustBundle", "DeviceClass", "IPAddress", "ServiceCIDR",
            "StorageVersionMigration", "VolumeAttributesClass");

    private static final ObjectMapper YAML;
    private static final ObjectMapper JSON;

    static {
        // Big `helm template` streams are normal: lift SnakeYAML's 3 MB input limit and Jackson's string limits
        // to what etcd itself accepts (the largest object is 1.5 MB; a stream holds many).
        LoaderOptions loader = new LoaderOptions();
        loader.setCodePointLimit(Integer.MAX_VALUE);
        YAMLFactory yaml = YAMLFactory.builder()
                .loaderOptions(loader)
                // `key:` with nothing after it, and an empty document, are null (the plain factory's default,
                // which the builder does not apply)
                .enable(YAMLParser.Feature.EMPTY_STRING_AS_NULL)
                .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build())
                .build();
        // kubectl refuses a mapping with a duplicate key; so do we, rather than judging one of the two values.
        yaml.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        YAML = new YAMLMapper(yaml);
        JsonFactory json = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build())
                .build();
        json.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        JSON = new ObjectMapper(json);
    }

    /** What a run reads: every object in order, the documents skipped, and how many files were read. */
    record Bundle(List<Manifest> manifests, List<String> skipped, int sources) {
    }

    /** One file (or stdin) read to the end: its objects and skipped documents, or why it could not be read. */
    private record Read(List<Manifest> manifests, List<String> skipped, ManifestException problem) {
    }

    private final String namespace;
    private final InputStream stdin;
    private final String stdinName;

    /**
     * @param namespace the namespace objects without metadata.namespace will be applied to, or null when
     *                  unknown (they then stay in an unknown namespace, never "default")
     * @param stdinName how reports name standard input
     */
    ManifestReader(String namespace, InputStream stdin, String stdinName) {
        this.namespace = namespace;
        this.stdin = stdin;
        this.stdinName = stdinName;
    }

    /** Reads every path (files, directories, {@code -}) in the order given. */
    Bundle read(List<String> paths) throws ManifestException {
        List<Path> files = new ArrayList<>();
        List<String> sources = new ArrayList<>();
        for (String path : paths) {
            if (STDIN.equals(path)) {
                files.add(null);
                sources.add(stdinName);
            } else {
                for (Path file : expand(path)) {
                    files.add(file);
                    sources.add(file.toString());
                }
            }
        }
        byte[] standardInput = paths.contains(STDIN) ? readStdin() : null;
        // Files are independent: parse them on every core. Results keep the order of the arguments, and the
        // first problem in that order is the one reported.
        List<Read> reads = IntStream.range(0, files.size()).parallel()
                .mapToObj(i -> {
                    try {
                        byte[] content = files.get(i) == null ? standardInput : readFile(files.get(i));
                        return parse(sources.get(i), content, files.get(i) != null && isJson(files.get(i)));
                    } catch (ManifestException e) {
                        return new Read(List.of(), List.of(), e);
                    }
                })
                .toList();
        List<Manifest> manifests = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (Read read : reads) {
            if (read.problem() != null) {
                throw read.problem();
            }
            manifests.addAll(read.manifests());
            skipped.addAll(read.skipped());
        }
        return new Bundle(manifests, skipped, files.size());
    }

    /** A file as itself, a directory as its manifest files (recursive, sorted, hidden entries left out). */
    private static List<Path> expand(String argument) throws ManifestException {
        Path path = Path.of(argument);
        if (!Files.exists(path)) {
            throw new ManifestException(argument + ": no such file or directory");
        }
        if (!Files.isDirectory(path)) {
            return List.of(path);
        }
        try (Stream<Path> walk = Files.walk(path, FileVisitOption.FOLLOW_LINKS)) {
            return walk.filter(file -> Files.isRegularFile(file) && hasManifestExtension(file)
                            && !hidden(path.relativize(file)))
                    .sorted()
                    .toList();
        } catch (IOException | UncheckedIOException e) {
            throw new ManifestException(argument + ": cannot list the directory: " + message(e));
        }
    }

    private static boolean hasManifestExtension(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return EXTENSIONS.stream().anyMatch(name::endsWith);
    }

    /** True when any part of the path below the named directory starts with a dot (.git, .github, ...). */
    private static boolean hidden(Path relative) {
        for (Path part : relative) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    private static boolean isJson(Path file) {
        return file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".json");
    }

    private static byte[] readFile(Path file) throws ManifestException {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ManifestException(file + ": no such file");
        } catch (IOException e) {
            throw new ManifestException(file + ": cannot be read: " + message(e));
        }
    }

    private byte[] readStdin() throws ManifestException {
        try {
            return stdin.readAllBytes();
        } catch (IOException e) {
            throw new ManifestException(stdinName + ": standard input cannot be read: " + message(e));
        }
    }

    /** Parses one source: a YAML stream, or a stream of JSON values for .json files. */
    private Read parse(String source, byte[] content, boolean json) throws ManifestException {
        List<Manifest> manifests = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        ObjectMapper mapper = json ? JSON : YAML;
        int document = 0;
        try (JsonParser parser = mapper.createParser(content)) {
            while (true) {
                JsonToken token;
                try {
                    token = parser.nextToken();
                } catch (JsonProcessingException e) {
                    throw invalid(source, document + 1, e, json);
                }
                if (token == null) {
                    break;
                }
                document++;
                try {
                    read(parser, mapper, token, source, document, manifests, skipped);
                } catch (JsonProcessingException e) {
                    throw invalid(source, document, e, json);
                }
            }
        } catch (IOException e) {
            throw new ManifestException(source + ": cannot be read: " + message(e));
        }
        return new Read(manifests, skipped, null);
    }

    private void read(JsonParser parser, ObjectMapper mapper, JsonToken token, String source, int document,
            List<Manifest> manifests, List<String> skipped) throws IOException {
        int line = parser.currentTokenLocation().getLineNr();
        if (token == JsonToken.VALUE_NULL) {
            return; // an empty document: `---` followed by nothing or only comments
        }
        if (token != JsonToken.START_OBJECT) {
            parser.skipChildren();
            skipped.add(source + ", document " + document + ", line " + line + ": a YAML "
                    + (token == JsonToken.START_ARRAY ? "list" : "scalar") + ", not a Kubernetes object: skipped");
            return;
        }
        List<Integer> itemLines = new ArrayList<>();
        ObjectNode root = readRoot(parser, mapper, itemLines);
        JsonNode kind = root.get("kind");
        JsonNode items = root.get("items");
        if (kind != null && kind.isTextual() && kind.asText().endsWith("List") && items != null && items.isArray()) {
            for (int i = 0; i < items.size(); i++) {
                JsonNode item = items.get(i);
                String where = source + ", document " + document + ", item " + (i + 1) + ", line " + itemLines.get(i);
                if (isObject(item, where, skipped)) {
                    manifests.add(new Manifest(source, document, i + 1, itemLines.get(i), tree((ObjectNode) item)));
                }
            }
        } else if (isObject(root, source + ", document " + document + ", line " + line, skipped)) {
            manifests.add(new Manifest(source, document, 0, line, tree(root)));
        }
    }

    /**
     * The document's root mapping, noting the line of each element of a top-level {@code items} list, so that
     * the objects of a {@code kind: List} can be pointed at one by one.
     */
    private static ObjectNode readRoot(JsonParser parser, ObjectMapper mapper, List<Integer> itemLines)
            throws IOException {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            JsonToken value = parser.nextToken();
            if ("items".equals(field) && value == JsonToken.START_ARRAY) {
                ArrayNode items = root.putArray(field);
                while (parser.nextToken() != JsonToken.END_ARRAY) {
                    itemLines.add(parser.currentTokenLocation().getLineNr());
                    items.add(mapper.<JsonNode>readTree(parser));
                }
            } else {
                root.set(field, mapper.readTree(parser));
            }
        }
        return root;
    }

    private static boolean isObject(JsonNode node, String where, List<String> skipped) {
        if (node == null || !node.isObject()) {
            skipped.add(where + ": not a mapping, not a Kubernetes object: skipped");
            return false;
        }
        JsonNode kind = node.get("kind");
        if (kind == null || !kind.isTextual() || kind.asText().isBlank()) {
            skipped.add(where + ": no kind, not a Kubernetes object: skipped");
            return false;
        }
        return true;
    }

    /** The engine's tree; objects without a namespace get the one given with --namespace, as the API server does. */
    private Map<String, Object> tree(ObjectNode object) {
        if (namespace != null && !CLUSTER_SCOPED.contains(object.path("kind").asText())) {
            JsonNode metadata = object.get("metadata");
            if (metadata == null || !metadata.isObject()) {
                metadata = object.putObject("metadata");
            }
            JsonNode declared = metadata.get("namespace");
            if (declared == null || !declared.isTextual() || declared.asText().isEmpty()) {
                ((ObjectNode) metadata).put("namespace", namespace);
            }
        }
        return ObjectTree.of(object);
    }

    private static ManifestException invalid(String source, int document, JsonProcessingException e, boolean json) {
        JsonLocation location = e.getLocation();
        String at = location == null || location.getLineNr() < 1 ? ""
                : ", line " + location.getLineNr() + ", column " + location.getColumnNr();
        return new ManifestException(source + ": document " + document + at + ": not valid "
                + (json ? "JSON" : "YAML") + ": " + problem(e));
    }

    /**
     * SnakeYAML's message without its source excerpts: "while parsing a flow sequence; expected ',' or ']',
     * but got :". The position is already in front of it.
     */
    static String problem(JsonProcessingException e) {
        String original = e.getOriginalMessage() == null ? e.getClass().getSimpleName() : e.getOriginalMessage();
        return original.lines()
                .filter(line -> !line.isBlank() && !Character.isWhitespace(line.charAt(0)))
                .map(String::strip)
                .collect(Collectors.joining("; "));
    }

    private static String message(Exception e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
