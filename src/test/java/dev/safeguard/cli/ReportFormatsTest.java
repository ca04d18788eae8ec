package dev.safeguard.cli;

import static dev.safeguard.cli.Cli.BUDGET;
import static dev.safeguard.cli.Cli.GOOD_DEPLOYMENT;
import static dev.safeguard.cli.Cli.deployment;
import static dev.safeguard.cli.Cli.run;
import static dev.safeguard.cli.Cli.write;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Each report format parsed back. The bundle: web (replicas-spread deny, pdb-for-replicas warn without a
 * budget), good (clean, with its budget), in two files. Needs the full built-in pack (pdb-for-replicas).
 */
class ReportFormatsTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    Path bad;
    Path good;

    @BeforeEach
    void files() throws Exception {
        bad = write(dir, "apps/web.yaml", "# web\n" + deployment("web", "shop", 3, false));
        good = write(dir, "apps/good.yaml", GOOD_DEPLOYMENT.replace("name: web", "name: good")
                .replace("app: web", "app: good") + "---\n" + BUDGET.replace("app: web", "app: good"));
    }

    @Test
    void jsonHasTheDocumentedShape() throws Exception {
        Cli.Run run = run("check", "-o", "json", bad.toString(), good.toString());

        assertThat(run.exit()).isEqualTo(SafeguardCommand.VIOLATIONS);
        JsonNode report = JSON.readTree(run.out());
        assertThat(fieldNames(report)).containsExactly("summary", "results");
        JsonNode summary = report.path("summary");
        assertThat(fieldNames(summary)).containsExactly("policy", "policyVersion", "mode", "failOn", "failed", "sources",
                "objects", "objectsWithViolations", "objectsExcluded", "documentsSkipped", "violations", "failing",
                "exemptions", "ruleErrors");
        assertThat(summary.path("failed").asBoolean()).isTrue();
        assertThat(summary.path("objects").asInt()).isEqualTo(3);
        assertThat(summary.path("objectsWithViolations").asInt()).isEqualTo(1);
        assertThat(fieldNames(summary.path("violations"))).containsExactly("deny", "would-deny", "warn", "audit", "inherited");
        assertThat(summary.path("violations").path("deny").asInt()).isEqualTo(1);
        assertThat(summary.path("violations").path("warn").asInt()).isEqualTo(1);
        assertThat(summary.path("failing").asInt()).isEqualTo(1);

        JsonNode web = report.path("results").get(0);
        assertThat(fieldNames(web)).containsExactly("source", "document", "kind", "namespace", "name", "violations");
        assertThat(web.path("source").asText()).isEqualTo(bad.toString());
        assertThat(web.path("document").asInt()).isEqualTo(1);
        assertThat(web.path("kind").asText()).isEqualTo("Deployment");
        assertThat(web.path("namespace").asText()).isEqualTo("shop");
        assertThat(web.path("name").asText()).isEqualTo("web");
        JsonNode first = web.path("violations").get(0);
        // rule, action and message as ever (message: what is wrong, then ". Fix: " and the remediation); since the
        // one-result-per-rule model also the status (fail, error, inherited) and the remediation on its own
        assertThat(fieldNames(first)).containsExactly("rule", "action", "message", "status", "remediation");
        assertThat(first.path("rule").asText()).isEqualTo("replicas-spread");
        assertThat(first.path("action").asText()).isEqualTo("deny");
        assertThat(first.path("status").asText()).isEqualTo("fail");
        assertThat(web.path("violations").get(1).path("action").asText()).isEqualTo("warn");
        // clean objects are listed too, with no violations
        assertThat(report.path("results").get(1).path("violations")).isEmpty();
    }

    @Test
    void sarifCarriesOneRuleDescriptorPerEnabledRuleAndALocationPerFinding() throws Exception {
        Cli.Run run = run("check", "-o", "sarif", bad.toString(), good.toString());

        assertThat(run.exit()).isEqualTo(SafeguardCommand.VIOLATIONS);
        JsonNode sarif = JSON.readTree(run.out());
        assertThat(sarif.path("version").asText()).isEqualTo("2.1.0");
        assertThat(sarif.path("$schema").asText()).contains("sarif-2.1.0");
        JsonNode runNode = sarif.path("runs").get(0);
        JsonNode driver = runNode.path("tool").path("driver");
        assertThat(driver.path("name").asText()).isEqualTo("kube-safeguard");
        List<String> ids = new ArrayList<>();
        driver.path("rules").forEach(rule -> ids.add(rule.path("id").asText()));
        assertThat(ids).contains("replicas-spread", "pdb-for-replicas").doesNotContain("cpu-limits"); // off
        JsonNode spread = driver.path("rules").get(ids.indexOf("replicas-spread"));
        assertThat(spread.path("shortDescription").path("text").asText())
                .isEqualTo("Multi-replica workloads spread across failure domains");
        assertThat(spread.path("help").path("markdown").asText()).contains("topologySpreadConstraints");
        assertThat(spread.path("defaultConfiguration").path("level").asText()).isEqualTo("error");

        JsonNode results = runNode.path("results");
        assertThat(results).hasSize(2);
        JsonNode deny = results.get(0);
        assertThat(deny.path("ruleId").asText()).isEqualTo("replicas-spread");
        assertThat(deny.path("ruleIndex").asInt()).isEqualTo(ids.indexOf("replicas-spread"));
        assertThat(deny.path("level").asText()).isEqualTo("error");
        assertThat(deny.path("message").path("text").asText()).startsWith("[replicas-spread] Deployment shop/web: all 3");
        JsonNode location = deny.path("locations").get(0).path("physicalLocation");
        // relative to the working directory when the file is below it, absolute file URI otherwise
        String uri = location.path("artifactLocation").path("uri").asText();
        assertThat(uri).endsWith("apps/web.yaml");
        assertThat(uri.startsWith("file:/") || !uri.contains(":")).isTrue();
        assertThat(location.path("region").path("startLine").asInt()).isEqualTo(2);
        assertThat(results.get(1).path("level").asText()).isEqualTo("warning");
    }

    @Test
    void sarifLocationsAreRelativeToTheWorkingDirectory() {
        assertThat(SarifReport.uri("deploy/app one.yaml")).isEqualTo("deploy/app%20one.yaml");
        assertThat(SarifReport.uri("./deploy/../deploy/app.yaml")).isEqualTo("deploy/app.yaml");
        assertThat(SarifReport.uri(Path.of("").toAbsolutePath().resolve("k8s/a.yaml").toString())).isEqualTo("k8s/a.yaml");
        assertThat(SarifReport.uri("/elsewhere/a.yaml")).isEqualTo("file:///elsewhere/a.yaml");
    }

    @Test
    void sarifLevelsFollowTheOutcome() {
        assertThat(SarifReport.level(CheckReport.Outcome.DENY)).isEqualTo("error");
        assertThat(SarifReport.level(CheckReport.Outcome.WOULD_DENY)).isEqualTo("warning");
        assertThat(SarifReport.level(CheckReport.Outcome.WARN)).isEqualTo("warning");
        assertThat(SarifReport.level(CheckReport.Outcome.AUDIT)).isEqualTo("note");
    }

    @Test
    void junitHasATestCasePerObjectAndRuleWithFailuresAtTheFailLevel() throws Exception {
        Cli.Run run = run("check", "-o", "junit", bad.toString(), good.toString());

        assertThat(run.exit()).isEqualTo(SafeguardCommand.VIOLATIONS);
        Document xml = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(run.out().getBytes(StandardCharsets.UTF_8)));
        Element root = xml.getDocumentElement();
        assertThat(root.getTagName()).isEqualTo("testsuites");
        NodeList suites = root.getElementsByTagName("testsuite");
        assertThat(suites.getLength()).isEqualTo(2);
        Element webSuite = (Element) suites.item(0);
        assertThat(webSuite.getAttribute("name")).isEqualTo(bad.toString());
        NodeList cases = webSuite.getElementsByTagName("testcase");
        List<String> names = new ArrayList<>();
        for (int i = 0; i < cases.getLength(); i++) {
            names.add(((Element) cases.item(i)).getAttribute("name"));
        }
        // every enabled rule that matches a Deployment, once
        assertThat(names).contains("replicas-spread", "readiness-probe", "image-tag", "pdb-for-replicas")
                .doesNotContain("naked-pod", "unique-service-selector", "cpu-limits").doesNotHaveDuplicates();
        assertThat(webSuite.getAttribute("tests")).isEqualTo(String.valueOf(names.size()));
        assertThat(webSuite.getAttribute("failures")).isEqualTo("1");

        Element spread = (Element) cases.item(names.indexOf("replicas-spread"));
        assertThat(spread.getAttribute("classname")).isEqualTo("Deployment shop/web");
        Element failure = (Element) spread.getElementsByTagName("failure").item(0);
        assertThat(failure.getAttribute("type")).isEqualTo("deny");
        assertThat(failure.getAttribute("message")).startsWith("all 3 replicas");
        // a warning below --fail-on deny passes, with the finding in system-out
        Element pdb = (Element) cases.item(names.indexOf("pdb-for-replicas"));
        assertThat(pdb.getElementsByTagName("failure").getLength()).isZero();
        assertThat(pdb.getElementsByTagName("system-out").item(0).getTextContent()).startsWith("warn [pdb-for-replicas]");

        assertThat(root.getAttribute("failures")).isEqualTo("1");
        Cli.Run onWarn = run("check", "-o", "junit", "--fail-on", "warn", bad.toString(), good.toString());
        assertThat(onWarn.out()).contains("failures=\"2\"");
    }

    @Test
    void junitSkipsExemptedRulesAndExcludedNamespaces() throws Exception {
        Path policy = write(dir, "policy.yaml", """
                apiVersion: safeguard.dev/v1alpha1
                kind: SafeguardPolicy
                spec:
                  exclude: {namespaces: [sandbox]}
                """);
        Path file = write(dir, "x.yaml", deployment("play", "sandbox", 3, false) + "---\n"
                + deployment("web", "shop", 3, false).replace("  namespace: shop\n", """
                          namespace: shop
                          annotations: {safeguard.dev/exempt: replicas-spread, safeguard.dev/exempt-reason: lab}
                        """));

        Cli.Run run = run("check", "-o", "junit", "--policy", policy.toString(), file.toString());

        assertThat(run.exit()).isEqualTo(SafeguardCommand.OK);
        Document xml = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(run.out().getBytes(StandardCharsets.UTF_8)));
        NodeList skipped = xml.getElementsByTagName("skipped");
        List<String> messages = new ArrayList<>();
        for (int i = 0; i < skipped.getLength(); i++) {
            messages.add(((Element) skipped.item(i)).getAttribute("message"));
        }
        assertThat(messages).contains("exempt (safeguard.dev/exempt): lab")
                .contains("namespace sandbox is excluded by the policy");
        assertThat(xml.getElementsByTagName("failure").getLength()).isZero();
    }

    @Test
    void textHasNoColourUnlessAskedAndColourWhenAsked() {
        Cli.Run plain = run("check", bad.toString());
        Cli.Run colour = run("check", "--color", "always", bad.toString());

        assertThat(plain.out()).doesNotContain("\u001b[");
        assertThat(colour.out()).contains("\u001b[1;31mDENY");
    }

    @Test
    void machineFormatsKeepStdoutParseableAndPutNotesOnStderr() throws Exception {
        Path notes = write(dir, "notes.yaml", "values: {a: 1}\n---\n" + deployment("web", "shop", 1, false)
                .replace("  namespace: shop\n", "  namespace: shop\n  annotations: {safeguard.dev/exempt: image-tag}\n"));

        Cli.Run run = run("check", "-o", "json", notes.toString());

        JSON.readTree(run.out());
        assertThat(run.err()).contains("no kind, not a Kubernetes object: skipped")
                .contains("needs a non-empty safeguard.dev/exempt-reason");
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
