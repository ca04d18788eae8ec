package dev.safeguard.rules;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every rule of the built-in pack, all switched on, over every fixture of every rule and over malformed
 * objects, without context, with an empty context and with the fixture's own context: no rule may fail
 * at runtime. (A rule's fixtures only show that it judges its own cases right; here every rule meets
 * every other rule's edge cases too.)
 */
class RulePackErrorFreeTest {

    private static final ObjectMapper YAML = new YAMLMapper();

    /** Objects a careless manifest or a half-written template can produce. */
    private static final List<String> MALFORMED = List.of(
            "kind: Pod",
            "{kind: Pod, metadata: {}, spec: {}}",
            "{kind: Pod, metadata: {name: x}, spec: {containers: [null, 42, {}, {name: a, image: ''}]}}",
            "{kind: Pod, spec: {containers: [{name: a, image: 'a:', resources: {limits: {memory: ''}, requests: {memory: x}}}]}}",
            "{kind: Pod, spec: {containers: [{name: a, image: '@', resources: {limits: {memory: 1.5}, requests: {cpu: 1}}}]}}",
            "{kind: Deployment, metadata: {name: x, labels: {app.kubernetes.io/name: 7}}, spec: {replicas: 3}}",
            "{kind: Deployment, metadata: {name: x}, spec: {replicas: 3, template: {metadata: {}}}}",
            "{kind: StatefulSet, metadata: {name: x}}",
            "{kind: CronJob, metadata: {name: x}, spec: {jobTemplate: {}}}",
            "{kind: Job, spec: {template: {spec: {initContainers: [{image: 'registry:5000'}]}}}}",
            "kind: PodDisruptionBudget",
            "{kind: PodDisruptionBudget, metadata: {name: x}, spec: {minAvailable: '100'}}",
            "{kind: PodDisruptionBudget, metadata: {name: x}, spec: {maxUnavailable: '0'}}",
            "{kind: PodDisruptionBudget, metadata: {name: x}, spec: {minAvailable: 5, selector: {}}}",
            "kind: Service",
            "{kind: Service, metadata: {name: x}, spec: {selector: {}}}",
            "{kind: Service, metadata: {name: x}, spec: {selector: {app: web}, clusterIP: None}}");

    /** Related objects that lack the fields rules look for. */
    private static final List<String> MALFORMED_CONTEXT = List.of(
            "kind: Deployment",
            "{kind: Deployment, metadata: {name: y}, spec: {replicas: 0, template: {metadata: {labels: {app: web}}}}}",
            "{kind: ReplicaSet, metadata: {name: z, ownerReferences: [{kind: Deployment}]}, spec: {}}",
            "kind: StatefulSet",
            "kind: PodDisruptionBudget",
            "{kind: PodDisruptionBudget, metadata: {name: p}, spec: {minAvailable: 9, selector: {}}}",
            "{kind: PodDisruptionBudget, metadata: {name: q}, spec: {minAvailable: '50%', selector: {}}}",
            "kind: HorizontalPodAutoscaler",
            "{kind: HorizontalPodAutoscaler, spec: {scaleTargetRef: {kind: Deployment, name: x}}}",
            "kind: Service",
            "{kind: Service, spec: {selector: {app: web}}}");

    static List<CompiledRule> pack;
    static RuleSet allOn;

    @BeforeAll
    static void loadPack() throws RuleLoadException, InvalidParamException {
        pack = new RuleLoader(new RuleCompiler()).loadBuiltInPack();
        RuleSet rules = RuleSet.withDefaults(pack);
        for (CompiledRule rule : pack) {
            rules = rules.withOverride(rule.id(), Action.DENY, null);
        }
        allOn = rules;
    }

    @Test
    void noRuleErrorsOnAnyFixture() throws IOException {
        List<String> errors = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(RulePackFixturesTest.FIXTURES)) {
            files = walk.filter(file -> file.toString().endsWith(".yaml")).sorted().toList();
        }
        assertThat(files).isNotEmpty();
        for (Path file : files) {
            Fixture fixture = Fixture.read(file);
            for (RelatedObjects context : contexts(fixture.related())) {
                errors.addAll(errors(file.toString(), fixture.object(), context));
            }
        }
        assertThat(errors).isEmpty();
    }

    @Test
    void noRuleErrorsOnMalformedObjectsOrContext() throws IOException {
        List<Map<String, Object>> context = new ArrayList<>();
        for (String yaml : MALFORMED_CONTEXT) {
            context.add(ObjectTree.of(YAML.readTree(yaml)));
        }
        List<String> errors = new ArrayList<>();
        for (String yaml : MALFORMED) {
            Map<String, Object> object = ObjectTree.of(YAML.readTree(yaml));
            for (RelatedObjects related : contexts(context)) {
                errors.addAll(errors(yaml, object, related));
            }
        }
        assertThat(errors).isEmpty();
    }

    private static List<RelatedObjects> contexts(List<Map<String, Object>> related) {
        return List.of(RelatedObjects.NONE, new InMemoryRelatedObjects(List.of()), new InMemoryRelatedObjects(related));
    }

    private static List<String> errors(String source, Map<String, Object> object, RelatedObjects related) {
        return new RuleEngine().evaluate(allOn, Subject.ofObject(object), related).stream()
                .filter(result -> result.error() != null).map(result -> source + ": " + result.describe()).toList();
    }
}
