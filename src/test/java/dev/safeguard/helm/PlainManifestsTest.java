package dev.safeguard.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * deploy/kube-safeguard.yaml is the chart rendered for kubectl users (cert-manager TLS, namespace
 * kube-safeguard). It is generated, never edited: this test fails when it differs from a fresh render, and
 * rewrites it when run with -Dsafeguard.write=true (scripts/render-plain-manifests.sh does that).
 */
class PlainManifestsTest {

    static final String FILE = "deploy/kube-safeguard.yaml";
    static final String COMMAND = "scripts/render-plain-manifests.sh";
    /** The values the plain install is rendered with: the chart's defaults, except TLS from cert-manager. */
    static final Map<String, String> VALUES = Map.of("tls.mode", "certManager");

    static final String HEADER = """
            # kube-safeguard: plain Kubernetes manifests for `kubectl apply` (no Helm needed).
            #
            # GENERATED from the Helm chart helm/kube-safeguard (chart defaults, tls.mode=certManager, release
            # kube-safeguard in namespace kube-safeguard). Do not edit: change the chart, then run
            #   %s
            # A test (PlainManifestsTest) fails when this file is stale.
            #
            # Needs cert-manager (https://cert-manager.io) for the serving certificate and CA injection.
            #   kubectl apply -f deploy/kube-safeguard.yaml
            #
            # Installs in AUDIT mode: nothing is rejected; would-be rejections are returned as warnings, logged as
            # "WOULD DENY" and counted as safeguard_admission_requests_total{decision="would_deny"}:
            #   kubectl -n kube-safeguard logs -l app.kubernetes.io/name=kube-safeguard --tail=-1 | grep "WOULD DENY"
            # To enforce, set `mode: enforce` in the ConfigMap kube-safeguard-policy (key policy.yaml); the service
            # reloads it within about a minute:
            #   kubectl -n kube-safeguard edit configmap kube-safeguard-policy
            # Set the image (the placeholder registry.example.com/kube-safeguard cannot be pulled):
            #   kubectl -n kube-safeguard set image deployment/kube-safeguard webhook=REGISTRY/kube-safeguard:TAG
            #   kubectl -n kube-safeguard set image deployment/kube-safeguard-audit audit=REGISTRY/kube-safeguard:TAG
            #
            # The background audit (Deployment kube-safeguard-audit) judges what already runs and writes one
            # PolicyReport per namespace:  kubectl get policyreports -A
            # This file creates the CustomResourceDefinitions of the reports (wgpolicyk8s.io, openreports.io). If
            # Kyverno or Policy Reporter already installed them, leave those four documents out.
            # See docs/operations.md.
            ---
            apiVersion: v1
            kind: Namespace
            metadata:
              name: kube-safeguard
              labels:
                app.kubernetes.io/name: kube-safeguard
                app.kubernetes.io/part-of: kube-safeguard
                # The webhook pods meet the restricted Pod Security Standard (checked by ChartUpgradeTest).
                pod-security.kubernetes.io/enforce: restricted
            """.formatted(COMMAND);

    /** The file as it should be now. */
    static String expected() {
        return HEADER + Chart.template(VALUES, null).strip() + "\n";
    }

    @Test
    void plainManifestsAreUpToDate() throws Exception {
        Path file = Path.of(FILE);
        String expected = expected();
        if (Boolean.getBoolean("safeguard.write")) {
            Files.writeString(file, expected);
            System.out.println("wrote " + file.toAbsolutePath());
            return;
        }
        assertThat(Files.exists(file)).as("%s is missing: run %s", FILE, COMMAND).isTrue();
        String actual = Files.readString(file);
        assertThat(actual.equals(expected))
                .as("%s is stale (it differs from a fresh render of the chart): run %s and commit the result",
                        FILE, COMMAND)
                .isTrue();
    }

    @Test
    void plainManifestsInstallWithCertManagerInTheirOwnNamespace() throws Exception {
        Chart.Render render = new Chart.Render(Files.readString(Path.of(FILE)));
        assertThat(render.documents().get(0).path("kind").asText()).as("the Namespace comes first").isEqualTo("Namespace");
        assertThat(render.one("Namespace").path("metadata").path("name").asText()).isEqualTo(Chart.NAMESPACE);
        assertThat(render.one("Namespace").path("metadata").path("labels").path("pod-security.kubernetes.io/enforce")
                .asText()).isEqualTo("restricted");
        for (ObjectNode document : render.documents()) {
            JsonNode namespace = document.path("metadata").path("namespace");
            assertThat(namespace.isMissingNode() || namespace.asText().equals(Chart.NAMESPACE))
                    .as("%s/%s", document.path("kind").asText(), document.path("metadata").path("name").asText())
                    .isTrue();
        }
        assertThat(render.has("Secret")).as("no generated key material in a committed file").isFalse();
        assertThat(render.one("ValidatingWebhookConfiguration").path("metadata").path("annotations")
                .path("cert-manager.io/inject-ca-from").asText()).isEqualTo("kube-safeguard/kube-safeguard-serving");
        assertThat(render.policy().path("spec").path("mode").asText()).isEqualTo("audit");
    }
}
