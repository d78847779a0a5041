using System.Text.Json.Nodes;
using Dllm.Checkpoints;
using Dllm.Model;
using Dllm.Native;
using Dllm.Tokenization;
using TorchSharp;

namespace Dllm.Testing;

/// <summary>
/// Tiny synthetic LLaDA2 checkpoints (real HF layout on disk, a small GPT-2-based tokenizer of ~2k ids) shared by the test
/// projects. Each is written once per machine into the temp folder (atomically, so parallel test processes
/// agree) and reused.
/// </summary>
public static class TinyModels
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, string> Written = [];

    /// <summary>A random tiny model: near-uniform predictions, so one token is committed per step.</summary>
    public static string Random => Get("random", sharpness: 1.0);

    /// <summary>A peaked tiny model: confident predictions, so several tokens are committed per step.</summary>
    public static string Peaked => Get("peaked", sharpness: 300.0);

    /// <summary>A copy of <paramref name="source"/> whose config.json has the given EOS id.</summary>
    public static string WithEos(string source, int eosTokenId)
    {
        string dir = Path.Combine(Path.GetTempPath(), "dllm-test-models", $"{Path.GetFileName(source)}-eos{eosTokenId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        foreach (string file in Directory.EnumerateFiles(source))
            File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!.AsObject();
        config["eos_token_id"] = eosTokenId;
        File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString());
        return dir;
    }

    private static string Get(string name, double sharpness)
    {
        lock (Gate)
        {
            if (Written.TryGetValue(name, out var known))
                return known;
            TorchBackend.Initialize();
            string root = Path.Combine(Path.GetTempPath(), "dllm-test-models");
            string dir = Path.Combine(root, $"tiny-{name}-v2");
            if (!File.Exists(Path.Combine(dir, "tokenizer_config.json")))
            {
                string staging = Path.Combine(root, $"staging-{Guid.NewGuid():N}");
                SyntheticModelDirectory.Write(staging, LLaDA2Shapes.Tiny(layers: 3) with { MaxPositionEmbeddings = 4096 }, SyntheticTokenizerLayout.Small,
                    new SyntheticCheckpointOptions { Seed = 42, DType = torch.ScalarType.Float32, LogitSharpness = sharpness });
                try
                {
                    Directory.Move(staging, dir);
                }
                catch (IOException) when (File.Exists(Path.Combine(dir, "tokenizer_config.json")))
                {
                    Directory.Delete(staging, recursive: true); // another process won the race
                }
            }
            Written[name] = dir;
            return dir;
        }
    }
}
