using TorchSharp;

namespace Dllm.Model;

/// <summary>One contiguous range of layers on one device (a pipeline stage of a layer split).</summary>
/// <param name="Device">Where the stage's weights and K/V cache live.</param>
/// <param name="FirstLayer">First layer index of the stage.</param>
/// <param name="LayerCount">Number of layers.</param>
public sealed record PlacementStage(torch.Device Device, int FirstLayer, int LayerCount)
{
    /// <summary>One past the last layer.</summary>
    public int EndLayer => FirstLayer + LayerCount;
}

/// <summary>
/// Where each part of the model lives: the layers split into contiguous stages, one device each (the
/// embeddings on the first stage's device, the final norm and lm_head on the last). Activations move between
/// devices once per stage boundary. A single device is one stage.
/// </summary>
public sealed class ModelPlacement
{
    private ModelPlacement(IReadOnlyList<PlacementStage> stages) => Stages = stages;

    /// <summary>The stages in layer order.</summary>
    public IReadOnlyList<PlacementStage> Stages { get; }

    /// <summary>The device of the embeddings (first stage).</summary>
    public torch.Device InputDevice => Stages[0].Device;

    /// <summary>The device of the final norm and lm_head (last stage).</summary>
    public torch.Device OutputDevice => Stages[^1].Device;

    /// <summary>Everything on one device.</summary>
    public static ModelPlacement Single(LLaDA2Config config, torch.Device device) => new([new PlacementStage(device, 0, config.NumHiddenLayers)]);

    /// <summary>Explicit stages; they must cover every layer once, in order.</summary>
    /// <exception cref="ArgumentException">A gap, an overlap, or a layer count that does not match the model.</exception>
    public static ModelPlacement FromStages(LLaDA2Config config, IReadOnlyList<PlacementStage> stages)
    {
        if (stages.Count == 0)
            throw new ArgumentException("device map: at least one stage is needed.", nameof(stages));
        int next = 0;
        foreach (var stage in stages)
        {
            if (stage.FirstLayer != next || stage.LayerCount < 1)
                throw new ArgumentException($"device map: layers must be covered in order without gaps or overlaps; expected a stage starting at layer {next}, got {stage.FirstLayer}..{stage.EndLayer - 1}.", nameof(stages));
            next = stage.EndLayer;
        }
        if (next != config.NumHiddenLayers)
            throw new ArgumentException($"device map: covers {next} layers but the model has {config.NumHiddenLayers}.", nameof(stages));
        return new ModelPlacement(stages);
    }

    /// <summary>
    /// Splits the layers over <paramref name="devices"/> into contiguous ranges of about equal weight bytes,
    /// counting the embeddings with the first device and lm_head with the last.
    /// </summary>
    public static ModelPlacement Balanced(LLaDA2Config config, IReadOnlyList<torch.Device> devices)
    {
        if (devices.Count == 0 || devices.Count > config.NumHiddenLayers)
            throw new ArgumentException($"gpus: {devices.Count} devices cannot split {config.NumHiddenLayers} layers.", nameof(devices));
        var plan = MemoryPlan.Weights(config, bytesPerParameter: 2);
        double total = plan.Embedding + plan.LmHead + plan.LayerBytes.Sum();
        double perDevice = total / devices.Count;
        var stages = new List<PlacementStage>();
        int layer = 0;
        for (int d = 0; d < devices.Count; d++)
        {
            int remainingDevices = devices.Count - d - 1;
            double budget = perDevice - (d == 0 ? plan.Embedding : 0) - (d == devices.Count - 1 ? plan.LmHead : 0);
            int first = layer;
            double used = 0;
            while (layer < config.NumHiddenLayers - remainingDevices && (layer == first || used + plan.LayerBytes[layer] / 2 <= budget || remainingDevices == 0))
                used += plan.LayerBytes[layer++];
            stages.Add(new PlacementStage(devices[d], first, layer - first));
        }
        return FromStages(config, stages);
    }

    /// <summary>Parses a device map such as <c>0-15:cuda:0,16-31:cuda:1</c> (inclusive layer ranges).</summary>
    public static ModelPlacement Parse(LLaDA2Config config, string deviceMap)
    {
        var stages = new List<PlacementStage>();
        foreach (string part in deviceMap.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int colon = part.IndexOf(':', StringComparison.Ordinal);
            string[] range = colon > 0 ? part[..colon].Split('-') : [];
            if (range.Length != 2 || !int.TryParse(range[0], out int first) || !int.TryParse(range[1], out int last) || last < first)
                throw new ArgumentException($"device map: '{part}' is not FIRST-LAST:DEVICE (e.g. 0-15:cuda:0).", nameof(deviceMap));
            stages.Add(new PlacementStage(new torch.Device(part[(colon + 1)..]), first, last - first + 1));
        }
        return FromStages(config, stages);
    }

    /// <summary>The stage holding <paramref name="layer"/>.</summary>
    public PlacementStage StageOf(int layer) => Stages.First(s => layer >= s.FirstLayer && layer < s.EndLayer);

    /// <inheritdoc />
    public override string ToString() => string.Join(", ", Stages.Select(s => $"layers {s.FirstLayer}-{s.EndLayer - 1} on {s.Device}"));
}
