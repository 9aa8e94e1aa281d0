// Builds self-contained HTML pages (inline CSS and SVG, one small inline
// script, no network). The SVG charts come from svg.h; this file only lays
// them out.
#pragma once

#include <string>
#include <vector>

namespace qsim::reports {

class HtmlPage {
 public:
  explicit HtmlPage(std::string title);

  void AddHeading(const std::string& text, int level = 2);
  void AddParagraph(const std::string& text);  // escaped
  void AddNotice(const std::string& text);     // a highlighted paragraph
  // A chart: `svg` is a complete <svg> element whose id is `chart_id`. Every
  // chart added is listed in the page so a browser check can verify it rendered.
  void AddChart(const std::string& chart_id, const std::string& svg);
  // A table; cells are escaped. Numeric-looking cells are right aligned.
  // The table scrolls sideways inside the page when it is wider than it;
  // header cells wrap.
  void AddTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows);
  // A small grey line under a chart or table: what it shows and how.
  void AddCaption(const std::string& text);
  void AddPreformatted(const std::string& text);

  // The whole page. Its inline script marks the body with
  // data-qsim-check="ok" (and adds a #qsim-check element reading QSIM_RENDER_OK)
  // once every listed chart is in the DOM with a non-empty bounding box and no
  // script error fired; otherwise data-qsim-check="fail: ..." names what failed.
  std::string Render() const;

 private:
  std::string title_;
  std::string body_;
  std::vector<std::string> chart_ids_;
};

}  // namespace qsim::reports
