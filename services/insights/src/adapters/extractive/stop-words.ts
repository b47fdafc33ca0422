/** English function words ignored when scoring sentences for the summary. */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  `a about above after again against all also am an and any are arent as at be because been before being below
  between both but by can cant cannot could couldnt did didnt do does doesnt doing dont down during each few for
  from further get gets got gonna had hadnt has hasnt have havent having he hed hell hes her here heres hers herself
  him himself his how hows i id ill im ive if in into is isnt it its itself just lets like me more most mustnt my
  myself no nor not now of off oh ok okay on once only or other ought our ours ourselves out over own really right
  same say said shall shant she shed shell shes should shouldnt so some such sure than that thats the their theirs
  them themselves then there theres these they theyd theyll theyre theyve thing things think this those through to
  too um uh under until up us very was wasnt we wed well were weve werent what whats when whens where wheres which
  while who whos whom why whys will with wont would wouldnt yeah yes yep you youd youll youre youve your yours
  yourself yourselves going go know mean want kind sort bit lot`
    .split(/\s+/)
    .filter((w) => w.length > 0),
);
