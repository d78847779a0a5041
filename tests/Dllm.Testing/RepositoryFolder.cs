namespace Dllm.Testing;

/// <summary>
/// The repository checkout the tests run from: the folder holding <c>Dllm.AI.sln</c>, found by walking up from the test
/// binaries (which are built under it), so tests can read its checked-in files (the demo model, the package pins).
/// </summary>
public static class RepositoryFolder
{
    /// <summary>The solution file that marks the repository's root folder.</summary>
    public const string SolutionFile = "Dllm.AI.sln";

    /// <summary>The repository's root folder: the nearest folder above the test binaries that holds <see cref="SolutionFile"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">No folder above the test binaries holds <see cref="SolutionFile"/>.</exception>
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, SolutionFile)))
                    return dir.FullName;
            }
            throw new DirectoryNotFoundException($"{SolutionFile} not found above the test binaries ({AppContext.BaseDirectory}).");
        }
    }
}
