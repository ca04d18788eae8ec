package dev.safeguard.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.marcnuri.helm.DryRun;
import com.marcnuri.helm.LintResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** helm lint, the values schema refusing mistakes, the chart metadata, and what NOTES.txt tells the operator. */
class ChartValuesTest {

    @Test
    void lintPasses() {
        LintResult result = Chart.helm().lint().strict().call();
        assertThat(result.isFailed()).as("helm lint --strict: %s", result.getMessages()).isFalse();
        assertThat(result.getMessages()).as("lint findings")
                .noneMatch(message -> message.contains("[ERROR]") || message.contains("[WARNING]"));
    }

    @ParameterizedTest(name = "{0}={1} is refused")
    @CsvSource(delimiter = '|', textBlock = """
            replicaCount                         | two        | /replicaCount': got string, want integer
            replicas                             | 3          | additional properties 'replicas' not allowed
            policy.mode                          | enforced   | /policy/mode': value must be one of 'audit', 'enforce'
            policy.modes                         | enforce    | additional properties 'modes' not allowed
            webhook.failurePolicy                | ignore     | /webhook/failurePolicy': value must be one of 'Ignore', 'Fail'
            webhook.timeoutSeconds               | 60         | /webhook/timeoutSeconds': maximum: got 60, want 30
            webhook.timeoutSeconds               | five       | /webhook/timeoutSeconds': got string, want integer
            tls.mode                             | manual     | /tls/mode': value must be one of
            tls.certManager.issuer               | ca         | additional properties 'issuer' not allowed
            podDisruptionBudget.maxUnavailable   | 0          | /podDisruptionBudget/maxUnavailable'
            metrics.serviceMonitor.enabled       | yes please | /metrics/serviceMonitor/enabled': got string, want boolean
            context.enabled                      | yes please | /context/enabled': got string, want boolean
            context.namespaces                   | all        | additional properties 'namespaces' not allowed
            image.tag                            | latest     | /image/tag'
            audit.enabled                        | yes please | /audit/enabled': got string, want boolean
            audit.reportFormat                   | kyverno    | /audit/reportFormat': value must be one of 'policyreport', 'openreports'
            audit.maxResultsPerNamespace         | 0          | /audit/maxResultsPerNamespace': minimum: got 0, want 1
            audit.maxResultsPerNamespace         | 100000     | /audit/maxResultsPerNamespace': maximum: got 100,000, want 2,000
            audit.maxResultsPerNamespace         | many       | /audit/maxResultsPerNamespace': got string, want integer
            audit.replicas                       | 2          | additional properties 'replicas' not allowed
            audit.serviceAccount.nam             | auditor    | additional properties 'nam' not allowed
            audit.resources.request.cpu          | 1          | additional properties 'request' not allowed
            crds.install                         | maybe      | /crds/install': got string, want boolean
            crds.enabled                         | true       | additional properties 'enabled' not allowed
            networkPolicy.apiServer.ports[0]     | https      | /networkPolicy/apiServer/ports/0': got string, want integer
            networkPolicy.apiServer.port         | 443        | additional properties 'port' not allowed
            """)
    void schemaRefusesWrongTypesAndUnknownKeys(String key, String value, String message) {
        assertThatThrownBy(() -> Chart.render(key, value))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("values don't meet the specifications of the schema")
                .hasMessageContaining(message);
    }

    @Test
    void schemaRefusesUnknownKeysInPolicyRules() {
        assertThatThrownBy(() -> Chart.render(Map.of(), """
                policy:
                  rules:
                    - id: image-tag
                      acton: warn
                """))
                .hasMessageContaining("/policy/rules/0")
                .hasMessageContaining("additional properties 'acton' not allowed");
    }

    @Test
    void schemaRequiresACaBundleForAnExistingSecret() {
        assertThatThrownBy(() -> Chart.render("tls.mode", "existingSecret", "tls.existingSecret.name", "webhook-tls"))
                .hasMessageContaining("/tls/existingSecret/caBundle");
    }

    @Test
    void everyValueIsCommented() throws Exception {
        List<String> lines = Files.readAllLines(Chart.DIRECTORY.resolve("values.yaml"));
        List<String> uncommented = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (isKey(lines.get(i)) && !documented(lines, i)) {
                uncommented.add((i + 1) + ": " + lines.get(i));
            }
        }
        assertThat(uncommented).as("values.yaml keys without a comment (above them or above their group)").isEmpty();
    }

    private static boolean isKey(String line) {
        return line.matches("^\\s*[A-Za-z][A-Za-z0-9_.]*:.*");
    }

    private static int indent(String line) {
        return line.length() - line.stripLeading().length();
    }

    /**
     * A key is documented by a comment at its own indentation directly above it or above the run of sibling
     * keys it belongs to (no blank line in between), or by its parent being documented.
     */
    private static boolean documented(List<String> lines, int index) {
        int indent = indent(lines.get(index));
        for (int j = index - 1; j >= 0; j--) {
            String line = lines.get(j);
            if (line.isBlank()) {
                return false;
            }
            int lineIndent = indent(line);
            if (line.stripLeading().startsWith("#")) {
                if (lineIndent == indent) {
                    return true;
                }
                continue;
            }
            if (lineIndent < indent) {
                return documented(lines, j);
            }
        }
        return false;
    }

    @Test
    void schemaDeclaresEveryDefaultValue() throws Exception {
        JsonNode schema = Chart.JSON.readTree(Chart.DIRECTORY.resolve("values.schema.json").toFile());
        JsonNode values = Chart.YAML.readTree(Chart.DIRECTORY.resolve("values.yaml").toFile());
        List<String> undeclared = new ArrayList<>();
        declared(schema, values, "", undeclared);
        assertThat(undeclared).as("values without a schema entry").isEmpty();
        assertThat(schema.path("additionalProperties").asBoolean(true)).isFalse();
    }

    private static void declared(JsonNode schema, JsonNode value, String path, List<String> undeclared) {
        if (!value.isObject() || !schema.has("properties")) {
            return;
        }
        Iterator<Map.Entry<String, JsonNode>> fields = value.fields();
        while (fields.hasNext()) {
            var field = fields.next();
            JsonNode property = schema.path("properties").path(field.getKey());
            if (property.isMissingNode()) {
                undeclared.add(path + "." + field.getKey());
            } else {
                declared(property, field.getValue(), path + "." + field.getKey(), undeclared);
            }
        }
    }

    @Test
    void appVersionIsTheMavenProjectVersion() throws Exception {
        JsonNode chart = Chart.YAML.readTree(Chart.DIRECTORY.resolve("Chart.yaml").toFile());
        var pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(Path.of("pom.xml").toFile());
        String projectVersion = null;
        var children = pom.getDocumentElement().getChildNodes();
        for (int i = 0; i < children.getLength(); i++) {
            if ("version".equals(children.item(i).getNodeName())) {
                projectVersion = children.item(i).getTextContent().strip();
            }
        }
        assertThat(chart.path("version").asText()).isEqualTo("0.1.0");
        assertThat(chart.path("appVersion").asText())
                .as("Chart.yaml appVersion must equal the <version> in pom.xml: change both when releasing")
                .isEqualTo(projectVersion);
    }

    @Test
    void notesTellTheModeAndHowToSeeWouldBeRejections() {
        String notes = notes(Map.of());
        assertThat(notes).contains("Policy mode: AUDIT")
                .contains("grep \"WOULD DENY\"")
                .contains("safeguard_admission_requests_total{decision=\"would_deny\"}")
                .contains("--set policy.mode=enforce")
                .contains("failurePolicy Ignore");

        assertThat(notes).as("where the background audit's reports are")
                .contains("kubectl get policyreports -A")
                .contains("deployment/kube-safeguard-audit")
                .contains("safeguard_audit_violations{action=\"deny\"}")
                .doesNotContain("crds.install=false");
        assertThat(notes(Map.of("audit.reportFormat", "openreports", "crds.install", "false")))
                .contains("kubectl get reports.openreports.io -A")
                .contains("crds.install=false")
                .doesNotContain("policyreports");
        assertThat(notes(Map.of("audit.enabled", "false"))).doesNotContain("kube-safeguard-audit", "policyreports");

        String enforced = notes(Map.of("policy.mode", "enforce", "webhook.failurePolicy", "Fail"));
        assertThat(enforced).contains("Policy mode: ENFORCE")
                .contains("are REJECTED")
                .contains("kubectl delete validatingwebhookconfiguration kube-safeguard");
    }

    /** NOTES.txt as `helm install --dry-run=client` prints it (helm template does not render notes). */
    static String notes(Map<String, String> sets) {
        var install = Chart.helm().install().withName(Chart.RELEASE).withNamespace(Chart.NAMESPACE)
                .withKubeVersion(Chart.KUBE_VERSION).dryRun().withDryRunOption(DryRun.CLIENT).clientOnly();
        sets.forEach(install::set);
        String output = install.call().getOutput();
        assertThat(output).contains("NOTES:");
        return output.substring(output.indexOf("NOTES:"));
    }
}
