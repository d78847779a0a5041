using System.Text;
using System.Text.Json;

namespace Dllm.Tokenization;

/// <summary>Reads a tokenizer.json <c>normalizer</c>: none, a Unicode normal form (NFC, NFD, NFKC, NFKD), or a Sequence of them.</summary>
internal static class NormalizerSection
{
    /// <summary>The normal forms to apply in order; empty when the file has no normalizer.</summary>
    public static IReadOnlyList<NormalizationForm> Forms(JsonElement root, string source)
    {
        var forms = new List<NormalizationForm>();
        if (root.TryGetProperty("normalizer", out JsonElement section) && section.ValueKind != JsonValueKind.Null)
        {
            Visit(section, "normalizer", forms, source);
        }
        return forms;
    }

    private static void Visit(JsonElement step, string path, List<NormalizationForm> forms, string source)
    {
        string type = TokenizerJsonReader.Required(step, "type", JsonValueKind.String, source, path).GetString()!;
        switch (type)
        {
            case "NFC": forms.Add(NormalizationForm.FormC); break;
            case "NFD": forms.Add(NormalizationForm.FormD); break;
            case "NFKC": forms.Add(NormalizationForm.FormKC); break;
            case "NFKD": forms.Add(NormalizationForm.FormKD); break;
            case "Sequence":
                int index = 0;
                foreach (JsonElement inner in TokenizerJsonReader.Required(step, "normalizers", JsonValueKind.Array, source, path).EnumerateArray())
                {
                    Visit(inner, $"{path}.normalizers[{index++}]", forms, source);
                }
                break;
            default:
                throw new TokenizerException($"{source}: normalizer type '{type}' at {path} is not supported (NFC, NFD, NFKC, NFKD and Sequence are).");
        }
    }
}
