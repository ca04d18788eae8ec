package dev.safeguard.rules;

import dev.cel.common.CelFunctionDecl;
import dev.cel.runtime.CelFunctionBinding;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** What tests outside this package need from its package-private parts. */
public final class RulesTestSupport {

    private RulesTestSupport() {
    }

    /** The Kubernetes quantity library as the engine declares it (selectorMatches, ours alone, left out). */
    public static List<CelFunctionDecl> kubernetesQuantityDeclarations() {
        return KubernetesFunctions.declarations().stream()
                .filter(declaration -> !declaration.name().equals("selectorMatches")).toList();
    }

    public static List<CelFunctionBinding> kubernetesQuantityBindings() {
        return KubernetesFunctions.bindings();
    }

    /** A rule fixture's object (its first document) and the params its header sets. */
    public record FixtureObject(Path file, Map<String, Object> object, Map<String, Object> params) {
    }

    public static FixtureObject fixture(Path file) {
        Fixture fixture = Fixture.read(file);
        return new FixtureObject(file, fixture.object(), fixture.params());
    }
}
