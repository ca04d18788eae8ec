package dev.safeguard.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;

import com.fasterxml.jackson.databind.JsonNode;
import dev.safeguard.SampleManifests;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.safeguard.TestNetwork;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.eclipse.microprofile.config.ConfigProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(value = TestTls.class, restrictToAnnotatedClass = true)
class ValidateResourceTest extends WebhookTestBase {

    /** Passes every rule that is on by default. */
    static final String COMPLIANT = SampleManifests.compliant("shop", "web");

    /** What a hurried manifest looks like: four deny-level problems, several warnings and audit findings. */
    static final String CARELESS = SampleManifests.careless("shop", "shop-api");

    @Test
    void compliantDeploymentIsAllowedWithoutWarnings() {
        JsonNode response = post(Reviews.create(COMPLIANT));
        assertThat(response.path("allowed").asBoolean()).isTrue();
        assertThat(texts(response.path("warnings"))).isEmpty();
        assertThat(response.has("status")).isFalse();
    }

    @Test
    void shippedSampleIsDeniedForMissingTopologySpreadNamingObjectRuleAndFix() throws IOException {
        String sample = Files.readString(Path.of("deploy/examples/admission-review-deployment.json"));
        JsonNode response = post(sample);
        assertThat(response.path("allowed").asBoolean()).isFalse();
        assertThat(response.path("status").path("code").asInt()).isEqualTo(403);
        String message = response.path("status").path("message").asText();
        assertThat(message).startsWith("Deployment shop/web violates 1 kube-safeguard rule:")
                .contains("[replicas-spread] all 3 replicas can be scheduled onto one node")
                .contains("spec.template.spec.topologySpreadConstraints");
    }

    @Test
    void denialListsEveryDenyRuleAndWarnsAndAuditsTheRest() {
        JsonNode response = post(Reviews.create(CARELESS));
        assertThat(response.path("allowed").asBoolean()).isFalse();
        String message = response.path("status").path("message").asText();
        assertThat(message).startsWith("Deployment shop/shop-api violates 4 kube-safeguard rules:");
        assertThat(message.lines().skip(1).toList()).hasSize(4)
                .anyMatch(line -> line.startsWith("[replicas-spread] "))
                .anyMatch(line -> line.startsWith("[readiness-probe] ") && line.contains("api"))
                .anyMatch(line -> line.startsWith("[resource-requests] ") && line.contains("api"))
                .anyMatch(line -> line.startsWith("[image-tag] ") && line.contains("shop/api:latest"));
        List<String> warnings = texts(response.path("warnings"));
        // livenessProbe: with no value counts as absent.
        assertThat(warnings).anyMatch(w -> w.startsWith("[liveness-probe] "))
                .anyMatch(w -> w.startsWith("[memory-limits] "))
                .allMatch(w -> w.startsWith("[") && w.length() <= AdmissionResponses.MAX_WARNING_LENGTH);
        JsonNode audit = response.path("auditAnnotations");
        assertThat(audit.has("drop-all-capabilities")).isTrue();
        assertThat(audit.has("read-only-root-filesystem")).isTrue();
        assertThat(warnings).noneMatch(w -> w.startsWith("[drop-all-capabilities]"));
    }

    @Test
    void objectWithOnlyGenerateNameIsNamedAsGenerated() {
        ObjectNode pod = Reviews.yaml("""
                apiVersion: v1
                kind: Pod
                metadata: {generateName: debug-, namespace: shop}
                spec:
                  containers:
                    - name: shell
                      image: busybox
                      securityContext: {privileged: true}
                """);
        JsonNode response = post(Reviews.review("CREATE", pod, null, false));
        assertThat(response.path("allowed").asBoolean()).isFalse();
        assertThat(response.path("status").path("message").asText())
                .startsWith("Pod shop/debug-<generated> violates")
                .contains("[privileged] ").contains("shell");
    }

    @Test
    void deleteAndConnectAreAllowedWithoutEvaluation() {
        ObjectNode careless = Reviews.yaml(CARELESS);
        for (String operation : List.of("DELETE", "CONNECT")) {
            JsonNode response = post(Reviews.review(operation, null, careless, false));
            assertThat(response.path("allowed").asBoolean()).as(operation).isTrue();
            assertThat(texts(response.path("warnings"))).as(operation).isEmpty();
        }
    }

    @Test
    void kindsThePackDoesNotJudgeAreAllowed() {
        JsonNode response = post(Reviews.create("""
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: settings, namespace: shop}
                data: {mode: fast}
                """));
        assertThat(response.path("allowed").asBoolean()).isTrue();
        assertThat(texts(response.path("warnings"))).isEmpty();
    }

    @Test
    void updateIsJudgedOnTheNewObject() {
        JsonNode response = post(Reviews.update(CARELESS, COMPLIANT.replace("name: web,", "name: shop-api,")));
        assertThat(response.path("allowed").asBoolean()).isFalse();
        assertThat(response.path("status").path("message").asText()).contains("[image-tag]");
    }

    @Test
    void debugContainerAddedThroughTheEphemeralContainersSubresourceIsJudged() {
        String running = """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: web-5d8f-x2x
                  namespace: shop
                  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d8f, uid: u1, controller: true}]
                spec:
                  containers:
                    - name: web
                      image: registry.example.com/shop/web:1.4.2
                """;
        String debugged = running + """
                  ephemeralContainers:
                    - name: debugger
                      image: busybox:1.36
                      securityContext: {privileged: true}
                """;
        String body = Reviews.update(debugged, running).replace("\"operation\":\"UPDATE\"",
                "\"subResource\":\"ephemeralcontainers\",\"operation\":\"UPDATE\"");
        JsonNode response = post(body);
        assertThat(response.path("allowed").asBoolean()).isFalse();
        assertThat(response.path("status").path("message").asText()).contains("[privileged]").contains("debugger")
                .doesNotContain("[readiness-probe]");
    }

    @Test
    void dryRunRequestsAreJudgedLikeRealOnes() {
        JsonNode response = post(Reviews.review("CREATE", Reviews.yaml(CARELESS), null, true));
        assertThat(response.path("allowed").asBoolean()).isFalse();
    }

    @Test
    void badInputGetsAClear400() {
        String valid = Reviews.create(COMPLIANT);
        record Case(String body, String expected) {
        }
        List<Case> cases = List.of(
                new Case("", "empty body"),
                new Case("this is not json", "body is not JSON"),
                new Case("[1, 2]", "not an object"),
                new Case("{\"apiVersion\":\"v1\",\"kind\":\"Pod\"}", "kind is 'Pod', expected AdmissionReview"),
                new Case(valid.replace("admission.k8s.io/v1", "admission.k8s.io/v1beta1"), "expected admission.k8s.io/v1"),
                new Case("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\"}", "no request"),
                new Case(valid.replaceFirst("\"uid\":\"[^\"]+\"", "\"uid\":\"\""), "request.uid is missing"),
                new Case(valid.replace("\"operation\":\"CREATE\"", "\"operation\":null"), "request.operation is missing"),
                new Case("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":"
                        + "{\"uid\":\"1\",\"operation\":\"CREATE\",\"object\":[1]}}", "request.object is not a JSON object"));
        for (Case bad : cases) {
            webhook().body(bad.body()).post("/validate").then()
                    .statusCode(400)
                    .body(containsString(bad.expected()));
        }
    }

    @Test
    void bodyOverTheLimitIsRefusedWith413() throws Exception {
        // Expect: 100-continue lets the server refuse on Content-Length before the client streams 9 MiB
        // into a closed connection (which REST Assured reports as a broken pipe, not as the 413).
        byte[] huge = ("{\"padding\":\"" + "x".repeat(9 * 1024 * 1024) + "\"}").getBytes();
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-ssl-port", Integer.class);
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(TestNetwork.trustAll()).build();
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create("https://localhost:" + port + "/validate"))
                .expectContinue(true)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(huge))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(413);
    }

    @Test
    void healthAndMetricsAreOnTheManagementPort() {
        management().get("/q/health/ready").then().statusCode(200).body(containsString("\"policy\""));
        management().get("/q/health/live").then().statusCode(200);
        management().get("/q/metrics").then().statusCode(200).body(containsString("safeguard_policy_info"));
    }
}
