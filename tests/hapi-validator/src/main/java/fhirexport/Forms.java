package fhirexport;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.util.FhirTerser;
import java.util.HashMap;
import java.util.Map;
import org.hl7.fhir.instance.model.api.IBaseResource;

/** Questionnaires by canonical URL (and URL|version), for validating QuestionnaireResponses. */
final class Forms implements IValidationSupport {
  private final FhirContext ctx;
  private final Map<String, IBaseResource> byCanonical = new HashMap<>();

  Forms(FhirContext ctx) {
    this.ctx = ctx;
  }

  void add(IBaseResource questionnaire) {
    FhirTerser terser = ctx.newTerser();
    String url = terser.getSinglePrimitiveValueOrNull(questionnaire, "url");
    String version = terser.getSinglePrimitiveValueOrNull(questionnaire, "version");
    if (url == null) {
      return;
    }
    byCanonical.put(url, questionnaire);
    if (version != null) {
      byCanonical.put(url + "|" + version, questionnaire);
    }
  }

  @Override
  public FhirContext getFhirContext() {
    return ctx;
  }

  @Override
  public <T extends IBaseResource> T fetchResource(Class<T> type, String uri) {
    IBaseResource found = byCanonical.get(uri);
    if (found == null || (type != null && !type.isInstance(found))) {
      return null;
    }
    @SuppressWarnings("unchecked")
    T typed = (T) found;
    return typed;
  }

  @Override
  public String getName() {
    return "fhir-export Questionnaires";
  }
}
