package dev.safeguard.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.safeguard.rules.Decision;
import dev.safeguard.rules.Disposition;
import dev.safeguard.rules.InMemoryRelatedObjects;
import dev.safeguard.rules.ObjectTree;
import dev.safeguard.rules.Policy;
import dev.safeguard.rules.PolicyEngine;
import dev.safeguard.rules.RuleCompiler;
import dev.safeguard.rules.RuleLoadException;
import dev.safeguard.rules.RuleLoader;
import dev.safeguard.rules.Subject;
import dev.safeguard.rules.RuleResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The webhook obeys its own safeguards: every rendered document, judged by the built-in pack in enforce mode
 * with each rule's default action and the whole render as context, has no deny- or warn-level violation.
 */
class ChartSafeguardsTest {

    static Policy policy;
    static final PolicyEngine ENGINE = new PolicyEngine();

    @BeforeAll
    static void loadPack() throws RuleLoadException {
        policy = Policy.builtIn(new RuleLoader(new RuleCompiler()).loadBuiltInPack());
    }

    static Stream<Arguments> renders() {
        return Stream.of(
                Arguments.of("defaults (selfSigned TLS)", Map.of()),
                Arguments.of("certManager with everything optional on", Map.of(
                        "tls.mode", "certManager",
                        "metrics.serviceMonitor.enabled", "true",
                        "metrics.prometheusRule.enabled", "true",
                        "metrics.dashboard.enabled", "true",
                        "networkPolicy.enabled", "true")),
                Arguments.of("existingSecret, enforce, failurePolicy Fail", Map.of(
                        "tls.mode", "existingSecret",
                        "tls.existingSecret.name", "webhook-tls",
                        "tls.existingSecret.caBundle", "Q0E=",
                        "policy.mode", "enforce",
                        "webhook.failurePolicy", "Fail")),
                Arguments.of("three replicas", Map.of("replicaCount", "3")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renders")
    void renderedChartPassesTheSafeguards(String name, Map<String, String> sets) {
        List<String> findings = findings(Chart.render(sets).documents());
        assertThat(findings).as("deny- or warn-level violations in the rendered chart (%s)", name).isEmpty();
    }

    @Test
    void plainManifestsPassTheSafeguards() throws Exception {
        List<String> findings = findings(new Chart.Render(Files.readString(Path.of(PlainManifestsTest.FILE))).documents());
        assertThat(findings).as("deny- or warn-level violations in %s", PlainManifestsTest.FILE).isEmpty();
    }

    /** The check has teeth: a multi-replica Deployment without spread is denied by the pack. */
    @Test
    void withoutTopologySpreadTheDeploymentIsDenied() {
        List<String> findings = findings(Chart.render("topologySpread.enabled", "false").documents());
        assertThat(findings).anyMatch(finding -> finding.contains("DENY [replicas-spread]"));
    }

    /** Every deny- and warn-level violation, rule error and notice, one line each naming the object. */
    static List<String> findings(List<ObjectNode> documents) {
        List<Map<String, Object>> objects = documents.stream().map(ObjectTree::of).toList();
        var related = new InMemoryRelatedObjects(objects);
        List<String> findings = new ArrayList<>();
        for (Map<String, Object> object : objects) {
            Decision decision = ENGINE.decide(policy, Subject.ofObject(object), related);
            String reference = decision.objectReference();
            for (RuleResult result : decision.results()) {
                if (result.disposition() != null && result.disposition() != Disposition.AUDIT) {
                    findings.add(reference + ": " + result.disposition().id().toUpperCase(java.util.Locale.ROOT)
                            + " " + result.describe());
                }
            }
            decision.errors().forEach(error -> findings.add(reference + ": rule error " + error.describe()));
            decision.noticeLines().forEach(notice -> findings.add(reference + ": notice " + notice));
        }
        return findings;
    }
}
