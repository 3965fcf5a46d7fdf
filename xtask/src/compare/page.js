// The compare pages' one script (page.rs puts it inline): hovering or tapping a line highlights its group; a tap pins it.
(function(){
  var shown=null, pinned=null;
  function show(group){
    if(shown&&shown!==group){shown.classList.remove('on');}
    shown=group;
    if(group){group.classList.add('on');}
  }
  function groupOf(target){return target&&target.closest?target.closest('.g'):null;}
  document.addEventListener('mouseover',function(event){
    if(!pinned){show(groupOf(event.target));}
  });
  document.addEventListener('click',function(event){
    if(event.target.closest&&event.target.closest('a')){return;}
    var group=groupOf(event.target);
    if(pinned){pinned.classList.remove('pin');}
    pinned=(group&&group!==pinned)?group:null;
    if(pinned){pinned.classList.add('pin');}
    show(pinned||group);
  });
})();
