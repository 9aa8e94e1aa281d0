#include "reports/html.h"

#include <cctype>
#include <string_view>

#include "reports/svg.h"

namespace qsim::reports {
namespace {

bool LooksNumeric(const std::string& cell) {
  if (cell.empty()) return false;
  for (char c : cell) {
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '+' || c == ',' ||
          c == 'e' || c == '%' || c == '~' || c == ' ')) {
      return false;
    }
  }
  return true;
}

// A number followed by one of the units the report writes ("4.2 min",
// "12 bot-h", "1.5x", "30 /h"): right aligned like a number.
bool LooksLikeQuantity(const std::string& cell) {
  static const char* const kUnits[] = {" s", " ms", " min", " h", " d", " bot-s", " bot-min",
                                       " bot-h", " bot-d", "x", " /h"};
  for (const char* unit : kUnits) {
    std::string_view u(unit);
    if (cell.size() > u.size() && cell.compare(cell.size() - u.size(), u.size(), u) == 0 &&
        LooksNumeric(cell.substr(0, cell.size() - u.size()))) {
      return true;
    }
  }
  return false;
}

constexpr const char* kStyle = R"(body{font-family:sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;font-size:12px;margin:8px 0}
th,td{border:1px solid #ccc;padding:3px 7px}th{background:#f2f2f2;white-space:normal;max-width:14em}
td{white-space:nowrap}.caption{color:#555;font-size:12px;margin:2px 0 12px}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.notice{background:#fff4d6;border-left:4px solid #e0a800;padding:6px 10px}
svg{display:block;margin:8px 0}pre{background:#f7f7f7;padding:8px;overflow-x:auto}
)";

// Runs after the page loads: checks that each expected chart is present and
// laid out and that no script error fired, and records the verdict in the DOM
// (read back by tools/browser_check through --dump-dom).
constexpr const char* kCheckScript = R"(<script>
(function(){
var errors=[];
window.addEventListener('error',function(e){errors.push(String(e.message));});
window.addEventListener('load',function(){
var ids=JSON.parse(document.getElementById('qsim-charts').textContent);
var missing=[];
ids.forEach(function(id){var el=document.getElementById(id);
if(!el||el.tagName.toLowerCase()!=='svg'){missing.push(id);return;}
var box=el.getBoundingClientRect();if(box.width<=0||box.height<=0)missing.push(id);});
var verdict=(missing.length===0&&errors.length===0)?'ok':
'fail: missing='+missing.join(' ')+' errors='+errors.join(' | ');
document.body.setAttribute('data-qsim-check',verdict);
var marker=document.createElement('div');marker.id='qsim-check';marker.style.display='none';
marker.textContent=verdict==='ok'?'QSIM_RENDER_OK '+ids.length+' charts':'QSIM_RENDER_FAIL '+verdict;
document.body.appendChild(marker);});
})();
</script>
)";

}  // namespace

HtmlPage::HtmlPage(std::string title) : title_(std::move(title)) {}

void HtmlPage::AddHeading(const std::string& text, int level) {
  std::string tag = "h" + std::to_string(level);
  body_ += "<" + tag + ">" + svg::XmlEscape(text) + "</" + tag + ">\n";
}

void HtmlPage::AddParagraph(const std::string& text) { body_ += "<p>" + svg::XmlEscape(text) + "</p>\n"; }

void HtmlPage::AddNotice(const std::string& text) {
  body_ += "<p class=\"notice\">" + svg::XmlEscape(text) + "</p>\n";
}

void HtmlPage::AddChart(const std::string& chart_id, const std::string& svg) {
  chart_ids_.push_back(chart_id);
  body_ += svg;
}

void HtmlPage::AddTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows) {
  body_ += "<div class=\"scroll\"><table>\n<tr>";
  for (const std::string& h : header) body_ += "<th>" + svg::XmlEscape(h) + "</th>";
  body_ += "</tr>\n";
  for (const auto& row : rows) {
    body_ += "<tr>";
    for (const std::string& cell : row) {
      body_ += LooksNumeric(cell) || LooksLikeQuantity(cell) ? "<td class=\"num\">" : "<td>";
      body_ += svg::XmlEscape(cell) + "</td>";
    }
    body_ += "</tr>\n";
  }
  body_ += "</table></div>\n";
}

void HtmlPage::AddCaption(const std::string& text) {
  body_ += "<p class=\"caption\">" + svg::XmlEscape(text) + "</p>\n";
}

void HtmlPage::AddPreformatted(const std::string& text) {
  body_ += "<pre>" + svg::XmlEscape(text) + "</pre>\n";
}

std::string HtmlPage::Render() const {
  std::string ids = "[";
  for (size_t i = 0; i < chart_ids_.size(); ++i) {
    if (i > 0) ids += ",";
    ids += "\"" + svg::XmlEscape(chart_ids_[i]) + "\"";
  }
  ids += "]";
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<title>" + svg::XmlEscape(title_) + "</title>\n<style>\n" + kStyle + "</style>\n";
  out += "<script type=\"application/json\" id=\"qsim-charts\">" + ids + "</script>\n";
  out += kCheckScript;
  out += "</head>\n<body>\n<h1>" + svg::XmlEscape(title_) + "</h1>\n";
  out += body_;
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace qsim::reports
