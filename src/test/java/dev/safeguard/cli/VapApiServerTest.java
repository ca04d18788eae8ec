package dev.safeguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.safeguard.rules.Action;
import dev.safeguard.rules.ApiResource;
import dev.safeguard.rules.CompiledRule;
import dev.safeguard.rules.Mode;
import dev.safeguard.rules.ObjectTree;
import dev.safeguard.rules.Policy;
import dev.safeguard.rules.RelatedObjects;
import dev.safeguard.rules.RuleCompiler;
import dev.safeguard.rules.RuleEngine;
import dev.safeguard.rules.RuleLoader;
import dev.safeguard.rules.RuleSet;
import dev.safeguard.rules.RulesTestSupport;
import dev.safeguard.rules.Subject;
import dev.safeguard.vap.VapEvaluator;
import dev.safeguard.vap.VapExporter;
import dev.safeguard.rules.RuleResult;
import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The export on a real kube-apiserver (the binaries scripts/build-kube-binaries.sh installs; skipped without
 * them): every exported policy and binding is accepted, and on every rule fixture the API server admits the
 * policies warn about exactly the rules the engine reports, with the same messages. Every rule is switched to
 * warn, so that each dry-run create returns all findings as warnings at once. Needs the full built-in pack.
 */
class VapApiServerTest {

    static final String VERSION = "1.35.8";
    static final ObjectMapper JSON = new ObjectMapper();
    static final Pattern WARNING = Pattern.compile(
            "Validation failed for ValidatingAdmissionPolicy 'safeguard-([a-z0-9-]+)' with binding '[^']+': .*", Pattern.DOTALL);

    static KubeAPIServer server;
    static KubernetesClient client;
    static List<CompiledRule> pack;
    static Policy policy;
    static VapExporter.Result export;

    @BeforeAll
    static void start() throws Exception {
        String root = System.getenv().getOrDefault("KUBE_API_TEST_DIR", System.getProperty("user.home") + "/.kubeapitest");
        Assumptions.assumeTrue(Files.isExecutable(Path.of(root, "k8s", VERSION + "-linux-amd64", "kube-apiserver")),
                "kube-apiserver " + VERSION + " not installed (scripts/build-kube-binaries.sh)");
        server = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
                .withApiServerVersion(VERSION).withOfflineMode(true).withUpdateKubeConfig(false).build());
        server.start();
        client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(server.getKubeConfigYaml())).build();

        pack = new RuleLoader(new RuleCompiler()).loadBuiltInPack();
        RuleSet rules = RuleSet.withDefaults(pack);
        for (CompiledRule rule : pack) {
            rules = rules.withOverride(rule.id(), Action.WARN, null);
        }
        // image-registries passes everything with its default empty allow-list
        rules = rules.withOverride("image-registries", null, Map.of("allowed", List.of("registry.example.com/")));
        policy = new Policy("all-warn", "test", Mode.ENFORCE, rules, Set.of(), false);
        export = new VapExporter().export(policy);
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.stop();
        }
    }

    @Test
    void theApiServerAcceptsTheExportAndWarnsLikeTheEngineOnEveryFixture() throws Exception {
        // Applied as kubectl would: the YAML the command writes, document by document.
        String yaml = ExportCommand.Vap.yaml(policy, export);
        List<String> exported = export.exported().stream().map(VapExporter.Exported::ruleId).toList();
        assertThat(exported).hasSizeGreaterThan(15);
        for (Map<String, Object> document : VapExportTest.documents(yaml)) {
            String path = "ValidatingAdmissionPolicy".equals(document.get("kind"))
                    ? "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies"
                    : "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings";
            HttpResponse<String> created = post(path, document, false);
            assertThat(created.code()).as("%s %s: %s", document.get("kind"), document.get("metadata"), created.body())
                    .isEqualTo(201);
        }
        Set<String> namespaces = new HashSet<>(Set.of("default"));
        awaitPoliciesActive(exported, namespaces);

        List<String> mismatches = new ArrayList<>();
        Map<String, int[]> checked = new TreeMap<>(); // rule -> {objects it passed, objects it reported}
        int admissible = 0;
        int refused = 0;
        try (Stream<Path> files = Files.walk(VapExportTest.FIXTURES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                Map<String, Object> object = new LinkedHashMap<>(RulesTestSupport.fixture(file).object());
                String kind = (String) object.get("kind");
                if (ApiResource.of(kind).isEmpty()) {
                    continue; // kinds the export cannot address
                }
                String namespace = namespaced(object, "fixtures");
                ensureNamespace(namespace, namespaces);
                HttpResponse<String> response = post(collection(kind, namespace), object, true);
                if (response.code() != 201) {
                    // The API server refuses some fixtures before admission (no selector, a malformed quantity, no uid on an owner
                    // reference): those say nothing about the policies.
                    assertThat(response.code()).as("%s: %s", file, response.body()).isIn(400, 422);
                    refused++;
                    continue;
                }
                admissible++;
                Map<String, String> warned = warnings(response);
                // Judge what the API server admitted: defaulting changes objects (hostNetwork defaults each
                // hostPort to its containerPort), and a webhook would see the defaulted object too.
                @SuppressWarnings("unchecked")
                Map<String, Object> admitted = JSON.readValue(response.body(), Map.class);
                Map<String, String> engine = engine(admitted, namespace, exported);
                if (!warned.keySet().equals(engine.keySet())) {
                    mismatches.add(file + ": API server warned " + warned.keySet() + ", engine reports " + engine.keySet());
                }
                for (Map.Entry<String, String> finding : engine.entrySet()) {
                    String warning = warned.get(finding.getKey());
                    String expected = "Validation failed for ValidatingAdmissionPolicy 'safeguard-" + finding.getKey()
                            + "' with binding 'safeguard-" + finding.getKey() + "': " + finding.getValue();
                    // When all warnings of a response exceed 4 KiB, the API server cuts each to 256 characters.
                    boolean truncated = warning != null && warning.codePointCount(0, warning.length()) == 256
                            && expected.startsWith(warning);
                    if (warning != null && !finding.getValue().contains(" container #") && !warning.equals(expected)
                            && !truncated) {
                        mismatches.add(file + ": " + finding.getKey() + " warned '" + warning + "', expected '"
                                + expected + "'");
                    }
                }
                // (The fixture's own params header is ignored: engine and API server judge with one policy.)
                String rule = file.getParent().getParent().getFileName().toString();
                if (exported.contains(rule) && !engine.containsKey(rule)) {
                    checked.computeIfAbsent(rule, r -> new int[2])[0]++;
                }
                engine.keySet().forEach(found -> checked.computeIfAbsent(found, r -> new int[2])[1]++);
            }
        }
        assertThat(mismatches).isEmpty();
        assertThat(admissible).as("fixtures the API server admitted (%d refused)", refused).isGreaterThan(150);
        for (String rule : exported) {
            int[] counts = checked.getOrDefault(rule, new int[2]);
            assertThat(counts[0]).as("objects %s passes, verified on the API server", rule).isPositive();
            assertThat(counts[1]).as("objects %s reports, verified on the API server", rule).isPositive();
        }
    }

    /** The namespace the object is created in: its own, or the given one (set on the object, as the API server does). */
    @SuppressWarnings("unchecked")
    private static String namespaced(Map<String, Object> object, String fallback) {
        Map<String, Object> metadata = new LinkedHashMap<>((Map<String, Object>) object.getOrDefault("metadata", Map.of()));
        String namespace = ObjectTree.string(metadata, "namespace");
        if (namespace == null) {
            namespace = fallback;
            metadata.put("namespace", namespace);
        }
        object.put("metadata", metadata);
        return namespace;
    }

    /** Engine findings among the exported rules, rule id to its line, judged in the namespace of the request. */
    private static Map<String, String> engine(Map<String, Object> object, String namespace, List<String> exported) {
        Subject subject = new Subject(ObjectTree.of(JSON.valueToTree(object)), null, "CREATE", namespace, Map.of(), true);
        Map<String, String> findings = new TreeMap<>();
        for (RuleResult result : new RuleEngine().evaluate(policy.rules(), subject, RelatedObjects.NONE)) {
            if (result.violated() && exported.contains(result.ruleId())) {
                findings.put(result.ruleId(), result.describe());
            }
        }
        return findings;
    }

    /** Rule id to the whole text of every safeguard warning on the response. */
    private static Map<String, String> warnings(HttpResponse<String> response) {
        Map<String, String> warned = new TreeMap<>();
        for (String header : response.headers("Warning")) {
            // RFC 7234 form: 299 - "text", with the text's quotes and backslashes escaped
            String text = header.replaceFirst("^\\d{3} \\S+ \"", "").replaceFirst("\"$", "")
                    .replace("\\\"", "\"").replace("\\\\", "\\");
            Matcher matcher = WARNING.matcher(text);
            if (matcher.matches()) {
                warned.put(matcher.group(1), text);
            }
        }
        return warned;
    }

    /** Waits until a Pod that breaks many rules is warned about by every policy that applies to it. */
    private static void awaitPoliciesActive(List<String> exported, Set<String> namespaces) throws Exception {
        ensureNamespace("probe", namespaces);
        Map<String, Object> pod = new LinkedHashMap<>(Map.of("apiVersion", "v1", "kind", "Pod",
                "metadata", Map.of("name", "probe", "namespace", "probe"),
                "spec", Map.of("containers", List.of(Map.of("name", "app", "image", "app:latest")))));
        Set<String> expected = engine(pod, "probe", exported).keySet();
        Set<String> seen = Set.of();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            seen = warnings(post(collection("Pod", "probe"), pod, true)).keySet();
            if (seen.equals(expected)) {
                return;
            }
            Thread.sleep(250);
        }
        assertThat(new TreeSet<>(seen)).as("policies active within a minute").isEqualTo(new TreeSet<>(expected));
    }

    private static void ensureNamespace(String namespace, Set<String> existing) throws Exception {
        if (existing.add(namespace)) {
            HttpResponse<String> created = post("/api/v1/namespaces",
                    Map.of("apiVersion", "v1", "kind", "Namespace", "metadata", Map.of("name", namespace)), false);
            assertThat(created.code()).as(created.body()).isIn(201, 409);
        }
    }

    private static String collection(String kind, String namespace) {
        ApiResource resource = ApiResource.of(kind).orElseThrow();
        String prefix = resource.group().isEmpty() ? "/api/" + resource.version()
                : "/apis/" + resource.group() + "/" + resource.version();
        return prefix + "/namespaces/" + namespace + "/" + resource.plural();
    }

    private static HttpResponse<String> post(String path, Object body, boolean dryRun) throws Exception {
        HttpClient http = client.getHttpClient();
        String url = client.getMasterUrl().toString().replaceFirst("/$", "") + path + (dryRun ? "?dryRun=All" : "");
        return http.sendAsync(http.newHttpRequestBuilder().uri(url)
                        .post("application/json", JSON.writeValueAsString(body)).build(), String.class)
                .get(30, TimeUnit.SECONDS);
    }
}
