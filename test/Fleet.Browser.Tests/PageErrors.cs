using Microsoft.Playwright;

namespace Fleet.Browser.Tests;

/// <summary>Collects the script errors of a page, so a test fails on a broken page rather than on a missing element.</summary>
internal sealed class PageErrors
{
    private readonly List<string> _errors = [];

    public PageErrors(IPage page)
    {
        page.PageError += (_, error) => { lock (_errors) { _errors.Add(error); } };
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && !message.Text.Contains("Failed to load resource", StringComparison.Ordinal))
            {
                lock (_errors) { _errors.Add(message.Text); }
            }
        };
    }

    public void AssertNone()
    {
        lock (_errors)
        {
            Assert.True(_errors.Count == 0, "The page had script errors: " + string.Join(" | ", _errors));
        }
    }
}
