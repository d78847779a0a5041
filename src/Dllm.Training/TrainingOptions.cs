namespace Dllm.Training;

/// <summary>Everything a demo-model training run depends on (written to the checkpoint's training_args.json).</summary>
public sealed record TrainingOptions
{
    /// <summary>Where the final checkpoint goes (periodic ones go to <c>checkpoint-STEP</c> inside it).</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Seed of the data, the initial weights and the noise.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Optimizer steps.</summary>
    public int Steps { get; init; } = 3000;

    /// <summary>Tokens per step (sequences of one length, <see cref="Objective.LengthBucketSampler"/>; the forward runs
    /// twice as many, the noisy and the clean copy).</summary>
    public int BatchTokens { get; init; } = 16384;

    /// <summary>Peak learning rate.</summary>
    public double LearningRate { get; init; } = 2e-3;

    /// <summary>Linear warm-up steps.</summary>
    public int WarmupSteps { get; init; } = 100;

    /// <summary>Final learning rate as a fraction of the peak (cosine decay).</summary>
    public double MinLearningRateRatio { get; init; } = 0.1;

    /// <summary>AdamW decoupled weight decay (matrices only).</summary>
    public double WeightDecay { get; init; } = 0.1;

    /// <summary>Global gradient-norm clip.</summary>
    public double GradientClip { get; init; } = 1.0;

    /// <summary>Diffusion block size (the engine's default is 32).</summary>
    public int BlockSize { get; init; } = 32;

    /// <summary>Model shape: <c>demo</c>, <c>demo-6</c> or <c>tiny</c> (<see cref="DemoModelShapes"/>).</summary>
    public string Shape { get; init; } = "demo";

    /// <summary>BPE merges at most (the vocabulary is 256 bytes + merges + the LLaDA added tokens).</summary>
    public int BpeMerges { get; init; } = 1200;

    /// <summary>Digits per number piece of the tokenizer's pre-tokenizer (<see cref="Tokenizer.DemoPreTokenizer"/>): 1 is
    /// LLaDA2's (every digit apart), 3 (the demo model's) lets BPE give each frequent number below 1,000 one id.</summary>
    public int NumberPieceDigits { get; init; } = 3;

    /// <summary>Generated training examples (drawn with replacement into batches).</summary>
    public int TrainExamples { get; init; } = 40000;

    /// <summary>Sampling weight of counting over random ranges (<see cref="Data.CountingRangeTask"/>; counting up has 3,
    /// the other tasks 1; the demo model's recipe: 4); 0: none.</summary>
    public int CountingRangeWeight { get; init; } = 4;

    /// <summary>Whether counting ranges also keep clear of the held-out N as their first or last number (so those numbers
    /// appear in no training prompt at all). Off (the demo model's recipe): only the held-out prompts themselves,
    /// <c>1 to N</c> and <c>N to 1</c>, are never trained.</summary>
    public bool CountingRangesAvoidHeldOut { get; init; }

    /// <summary>Whether a counting range's stop (its last number, where the answer must end) is drawn first, uniformly, and
    /// its start uniformly on the far side, so every number ends as many ranges up and down as any other (on: the demo
    /// model's recipe); off: both ends drawn alike from 2..128, so a small number ends few ranges counting up.</summary>
    public bool CountingRangesStopFirst { get; init; } = true;

    /// <summary>Generated held-out examples (held-out loss and exact match).</summary>
    public int HeldOutExamples { get; init; } = 200;

    /// <summary>Steps between log lines.</summary>
    public int LogInterval { get; init; } = 10;

    /// <summary>Steps between held-out loss evaluations (0: only at the end).</summary>
    public int EvalInterval { get; init; } = 200;

    /// <summary>Steps between checkpoints with an exact-match evaluation through the engine (0: only the final one).</summary>
    public int CheckpointInterval { get; init; } = 1000;

    /// <summary>Held-out prompts per generated task decoded through <see cref="DllmEngine"/> at each checkpoint, besides
    /// every held-out count and every memorised prompt (<see cref="Data.DemoCorpus.EvaluationSet"/>); negative: no
    /// exact-match evaluation.</summary>
    public int ExactMatchPerTask { get; init; } = 20;

    /// <summary>auto (CUDA when available), cpu, cuda, cuda:N.</summary>
    public string Device { get; init; } = "auto";

    /// <summary>Stored dtype of the checkpoint: bfloat16 or float32.</summary>
    public string CheckpointDType { get; init; } = "bfloat16";

    /// <summary>Fraction of the training blocks masked whole (t = 1) instead of at a ratio drawn from U(ε, 1]: more
    /// training on a block's first decoding step, where the answer's length and end are decided with nothing of the
    /// block visible. 0 (the demo model's recipe): the plain objective. The held-out loss always uses the plain one.</summary>
    public double FullMaskFraction { get; init; }

    /// <summary>Let float32 matmuls on CUDA use TF32 tensor cores while training (faster: 510,000 against 368,000 forward
    /// tokens/s on an H200; 10-bit mantissas in the products); on in the demo model's recipe. No effect on a CPU.</summary>
    public bool Tf32 { get; init; } = true;

    /// <summary>Make CUDA training bit-reproducible (<see cref="DeterministicAlgorithms"/>): the same command, bundle and
    /// GPU give the same weights. On in the demo model's recipe; CPU training is deterministic either way.</summary>
    public bool Deterministic { get; init; } = true;
}
